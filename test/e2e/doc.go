// Package e2e holds the data side of nftpolicy's end-to-end NetworkPolicy
// suite: the pod model (namespaces x, y, z with pods a, b, c), the cases
// ported from the upstream Kubernetes e2e NetworkPolicy suite, extra cases
// the upstream suite lacks, and the expected-connectivity truth tables.
//
// Nothing in this package computes a verdict from a policy. Every truth table
// is written down by hand: for upstream cases from the upstream
// expectations, for the extra cases from the NetworkPolicy API semantics. A
// separate runner builds real network namespaces, programs nftables, sends
// packets and compares what it sees with these tables.
//
// Files:
//
//	model.go, reachability.go   the pod model, Case/Step, truth tables
//	policies.go, cases.go       shorthands the case tables are written with
//	upstream.go                 how upstream maps onto the model; UpstreamCases
//	upstream_*.go               the upstream specs by theme (ingress, selectors,
//	                            protocols, egress, ipblock, updates), in order
//	extra.go                    ExtraCases
//	e2e_test.go, runner_test.go the runner: real packets through test/harness
//	datapath_test.go            edge cases beyond pod IPs: link-local,
//	                            broadcast, hairpin through a Service VIP
//	cases_test.go, policies_test.go, reachability_test.go
//	                            checks of the tables themselves (no root)
//	modelcluster.go             the model's objects for a step without a cluster
//	                            (ModelEnv's made-up addresses): ModelCluster
//	eval_test.go                our evaluator (compiler/eval) on the IR of every
//	                            step against the tables (no root, no packets)
//	explain_test.go             kubectl nftpolicy explain's verdicts against
//	                            probes on a cluster loaded with render; diff
//	                            on each node's listing finds no drift
//
// test/lab runs the same cases through `nftpolicy lab`.
package e2e

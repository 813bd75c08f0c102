// Package conformance ports the conformance suite of sigs.k8s.io/network-policy-api v0.3.0 (ClusterNetworkPolicy,
// conformance/tests) to real packets through nftpolicy's rulesets, as test/e2e ports Kubernetes' NetworkPolicy
// suite.
//
// Every upstream ConformanceTest is a Case named by its ShortName; every subtest (t.Run title) is a Step, cut in
// several when the subtest changes a pod's or a namespace's labels between its probes; every PokeServer is a
// Probe {From, To, Protocol, Port, Allowed}. A step carries the complete state the cluster is in: the test's
// manifest, read from the module itself (conformance.Manifests, the files upstream applies) with its template
// filled in as the suite does, after every patch upstream made so far (rule swaps, actions, priority, an
// inserted rule, named ports, a deleted NetworkPolicy: edits.go), plus label changes. The expectations are
// written by hand from the upstream tests (docs/design/clusternetworkpolicy.md §6 has them as tables), never
// computed by nftpolicy's evaluator; TestCasesMatchUpstreamCode parses upstream's test code and checks that the
// cases say exactly what it does.
//
// The model (model.go) is upstream's: five namespaces labelled conformance-house, eight pods
// harry-potter/draco-malfoy/cedric-diggory/luna-lovegood -0/-1 with their StatefulSet's labels, serving TCP 80
// (web), TCP 8080, UDP 53 (dns), UDP 5353, SCTP 9003 and 9005; ordinal 0 on node-a, ordinal 1 on node-b. The
// host-network centaurs of forbidden-forrest are Pod objects whose addresses are their node's; Node objects carry
// kubernetes.io/os=linux and their addresses as InternalIPs, and the nodes serve the centaurs' ports (TCP
// HNP0/HNP1, UDP HNP2/HNP4, SCTP HNP6/HNP7, HNPi = 34345+i).
//
// Differences from upstream, all forced by where the probes run:
//   - Every probe runs in IPv4 and in IPv6 (the clusters are dual-stack); upstream probes the pods' primary
//     family. So the rule the inline-CIDR subtest inserts lists both families' host prefixes.
//   - Node peers: a pod's traffic to its own node enters the node's input hook, which nftpolicy does not filter
//     (a documented limitation: it has no input chain), so such probes would pass whatever the policy says.
//     Upstream always probes centaur-1; here a probe goes to the centaur on the node other than the client's,
//     which carries the same labels and serves the same ports (cases_experimental.go).
//   - A denied probe is one that does not connect within the harness's probe timeout (1 s; upstream retries for
//     10 s); an allowed probe that fails is tried once more.
//
// Files:
//
//	model.go, objects.go            the house model and the objects of a step (build.Cluster)
//	case.go, edits.go, manifests.go Case/Step/Probe, upstream's patches, the manifests from the module
//	cases*.go                       the 30 tests (Cases), expectations by hand
//	modeladdrs.go                   made-up addresses for tests without a cluster
//	upstream_test.go                the cases against upstream's test code (no root)
//	eval_test.go                    compiler/eval on the IR of every step against the tables (no root)
//	conformance_test.go             the runner: both topologies, real packets (root), with a summary line
package conformance

// Package agent tests the nftpolicy agent end to end: a real kube-apiserver and etcd (envtest, built offline by
// hack/envtest), the real agent manager of package controllers running in the test process (or, where a spec
// must SIGKILL it, `nftpolicy agent` in a child process: this test binary re-executed, see child_test.go), and
// a fake node built by test/harness out of network namespaces, whose nftables the agent programs and through
// which the specs send real packets.
//
// The suite is Ginkgo v2 with Gomega, run by `go test` (TestAgent). It needs root (network namespaces,
// nftables) and fails, never skips, without it. It never touches the machine's own network namespace: every
// command it runs goes into a namespace the harness made (nftp-...).
//
// Specs, by behaviour:
//
//	policy_test.go   a policy created denies; a pod or namespace relabelled changes what is allowed; the policy
//	                 deleted allows again
//	ipreuse_test.go  a deleted pod's IP reused by a pod with other labels: the rules follow the new pod
//	restart_test.go  the agent restarted over its own table: continuous probes from a denied client never pass
//	tamper_test.go   the table deleted, a rule added, the forward chain or the maps flushed, one map element
//	                 deleted, by hand: restored within the verify interval
//	kill_test.go     the agent SIGKILLed while it applies a 100,000-element change: the table is the old or the
//	                 new one, never a mix; a new agent converges
//	faults_test.go   no agent for a minute while policies change: the old table held, then one batch to the
//	                 new; etcd and the API server SIGKILLed and restarted: rules held, converges after
//	outage_test.go   the API server stopped and started: rules held, /readyz not ready after
//	                 APIUnreachableAfter, a policy change after the restart converges; and an agent started while
//	                 the API server is down keeps the previous table until it can sync
//	clusterpolicy_test.go  an Admin ClusterNetworkPolicy Deny created through the API server (its CRD installed
//	                 by the spec) cuts a pod pair over a NetworkPolicy allow, Pass hands the decision to the
//	                 NetworkPolicy, deleting it restores the default; the drop log names the tier and policy
//	strict_test.go   strict mode: a long-lived TCP connection a relabel denies is cut within milliseconds of the
//	                 change and stays cut (web writing cannot revive it); without strict mode it keeps working
//	world_test.go    the fixture: harness node + API objects, the agent in-process, probes, continuous probe
//	                 streams, nft by hand inside the node namespace, the timings and probe counts printed at the
//	                 end (go test -v)
//	child_test.go    TestMain: the test binary as `nftpolicy agent` when NFTPOLICY_TEST_AGENT_CHILD=1
package agent

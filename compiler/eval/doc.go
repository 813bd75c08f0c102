// Package eval is our evaluator: given the IR of a node (package ir), it says whether a new connection from one
// address to another on a protocol and port is allowed, and why — for each side, the tier that decided, the
// ClusterNetworkPolicy rule that accepted or denied it or the NetworkPolicies isolating the pod and the rules that
// allow the connection, and the Pass rules on the way.
//
// It evaluates the IR, not the kernel: it answers what the IR means (docs/semantics.md, the field docs of package
// ir), not what an nftables ruleset loaded from it does, and it knows nothing of the traffic the ruleset accepts
// before any policy (established connections, the node's own traffic, IPv6 neighbour discovery). Fed
// build.Node(cluster, "") — every pod of the cluster local — it gives the verdict for any pair of pods of the
// cluster: the source's egress and the destination's ingress are both in that one IR. With the IR of a single
// node, the side of a pod hosted elsewhere is not in the IR and does not restrict.
//
// Each side is decided tier by tier (docs/semantics.md, "Tiers: ClusterNetworkPolicy"): the group's Admin rules in
// order, the first that matches accepts, denies or passes; then, if NetworkPolicies isolate the pod, the
// connection is allowed iff one of their rules allows it (in audit mode, ir.Group.Audit, what they do not allow is
// let through as a would-be drop); otherwise the Baseline rules, as the Admin ones; what no tier decides is
// allowed. A connection needs both sides. A pod in no group of a direction is not restricted in that direction.
// A pod reaching its own address is allowed before any tier.
//
// A rule matches a connection when the peer's address is in its Peers (Any; one of Addrs; inside a Block's CIDR
// and outside every Except) and the protocol/port is in its Ports (AllPorts: every protocol, ICMP included, and
// every port; otherwise an inclusive range of the same protocol), or when (peer address, protocol/port) is one of
// its AddrPorts. For ingress the pod is the destination and the peer the source; for egress the other way round.
// ClusterNetworkPolicy fields the build cannot enforce are already resolved in the IR (an Accept rule matches
// nothing through them, a Deny or Pass rule is a Deny of all traffic); the evaluator reports them (Side.Unenforced) for
// the rules it looked at. When two pods of the IR share an address, the group sorted first owns it, as in the compiled ruleset.
//
// How it is checked: unit tests on hand-built IR in this package, and test/e2e's TestEvaluatorAgreesWithTruthTables,
// which builds the IR of every step of every upstream and extra e2e case (the truth tables written by hand from
// the upstream Kubernetes suite and the API semantics) and compares every pod-to-pod verdict with the table. The
// truth tables are also checked against real packets through the compiled ruleset (test/e2e, as root), so the
// evaluator, the builder and the datapath are each held to the same tables.
//
// It imports only the standard library and package ir (test/arch enforces it).
package eval

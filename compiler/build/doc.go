// Package build turns Kubernetes objects (Namespaces, Pods, networking.k8s.io/v1 NetworkPolicies) into the IR of
// one node (package ir): which local pods are isolated in each direction, grouped by the policies that select
// them, and every rule of those policies with selectors resolved to pod addresses and named ports resolved to
// numbers.
//
// It is a pure function of its input: no API server, no informers, no nftables, no clock. The same objects in any
// order give an identical IR. Node builds from scratch; a Builder gives the same IR for the same input while
// keeping, between calls, what it derived from objects it has seen before (the agent's sync loop). It is not a validator of Pods or Namespaces (the API server did that) and not an
// evaluator of verdicts (that lives with the IR's consumers); it validates NetworkPolicies only as far as it needs
// to give them a single meaning, and refuses to build a partial IR: one invalid policy fails Node.
//
// Slices in the returned IR may be shared between groups and rules (one policy's resolved peers appear in every
// group that policy selects): treat the IR as read-only.
//
// Group keys read "<direction>|<ns>/<policy>,<ns>/<policy>..." and, for ingress groups whose policies have named
// ports in ingress rules, "|<name>/<PROTO>=<number>[+<number>...],..." with "-" for a name the members lack, e.g.
// "ingress|x/allow-a,x/deny-all|http/TCP=8080,metrics/TCP=-". Policy names and port names cannot contain the
// separators, so keys are unambiguous.
//
// A rule whose ports are all named and unresolved has AllPorts false and no Ports: it allows nothing through
// Peers (an egress rule may still allow its AddrPorts, even when Peers.Any is set).
//
// Decisions where networking.k8s.io/v1 leaves room (each one is tested):
//
//   - Eligible pods: a pod with no address (status.podIPs and status.podIP empty), in phase Succeeded or Failed, or
//     with spec.hostNetwork is never selected and never a peer. A hostNetwork pod's address is its node's; to allow
//     or deny node addresses, use an ipBlock. Terminating pods (deletionTimestamp set) still count.
//   - Pod addresses come from status.podIPs, or status.podIP when podIPs is empty; an unparsable address of an
//     eligible pod fails Node with an error naming the pod and field.
//   - Every namespace carries kubernetes.io/metadata.name=<name> (forced to the name, as the API server does). A
//     namespace that a pod or policy refers to but that is missing from Cluster.Namespaces exists with only that
//     label.
//   - ipBlock: CIDRs are parsed with net/netip. A CIDR with host bits set (10.0.0.1/24, accepted by older API
//     servers) means its network (10.0.0.0/24), as net.ParseCIDR-based implementations read it. Forms netip rejects
//     (leading zeros, zones) and IPv4-mapped IPv6 CIDRs are validation errors. Each except must be the same family
//     and a strict subset of cidr, as the API server requires. Blocks and excepts are sorted and deduplicated.
//   - A port entry with a protocol and no port means every port of that protocol, 0-65535.
//   - A named port resolves to every container port of that name and protocol in the pod's containers and sidecar
//     init containers (restartPolicy Always); names are unique per container only, so there may be several.
//   - Duplicate objects (same namespace/name twice in one list) are an error: the input is meant to be a cache
//     snapshot.
package build

package ir

import (
	"fmt"
	"net/netip"
)

// Node is everything one node enforces.
type Node struct {
	// Name is the node's name; empty means every pod of the cluster is treated as local.
	Name string
	// Groups holds one entry per (direction, policy set) of local pods, sorted by Direction then Key.
	Groups []Group
}

// Direction says which side of a connection a group's rules constrain.
type Direction uint8

const (
	// Ingress rules constrain connections whose destination is a group member; peers are sources.
	Ingress Direction = iota
	// Egress rules constrain connections whose source is a group member; peers are destinations.
	Egress
)

func (d Direction) String() string {
	if d == Egress {
		return "egress"
	}
	return "ingress"
}

// Group is a set of local pods that exactly the same policies apply to in one direction — the same Admin and
// Baseline ClusterNetworkPolicies, the same isolating NetworkPolicies — whose rules therefore resolve to the
// same peers and ports. Pods in one group share one nftables chain.
//
// A direction is decided tier by tier (docs/semantics.md, "Tiers"): the first Admin rule that matches, in
// order, accepts or denies, and Pass or no match goes on; then, for members the NetworkPolicies isolate
// (Policies not empty), what Rules allow is allowed and the rest denied; otherwise the first matching Baseline
// rule accepts or denies; what none of them decides is allowed.
type Group struct {
	Direction Direction
	// Key identifies the group by what selects it, not by what its peers currently resolve to: the direction,
	// the sorted NetworkPolicies, the Admin and Baseline ClusterNetworkPolicies and (for ingress) how the members
	// resolve named ports. A peer's IP change, or an edit of a policy's rules, leaves Key unchanged, so only set
	// elements change.
	Key string
	// Policies are the NetworkPolicies that select the members and have this direction in their policyTypes,
	// sorted. Empty: the members are not isolated by any NetworkPolicy in this direction (Isolated).
	Policies []PolicyRef
	// Members are the local pods of the group, sorted by Pod, each with its addresses.
	Members []Member
	// Rules is the union of the allowed traffic; empty means the members are isolated with nothing allowed.
	Rules []Rule
	// Audit says the members' namespace is in audit mode (AuditAnnotation): what the NetworkPolicy rules do not
	// allow is logged and counted as a would-be drop, and let through. It does not soften Admin or Baseline
	// rules, which belong to the cluster's administrator.
	Audit bool
	// Admin are the rules of the Admin-tier ClusterNetworkPolicies selecting the members, with rules in this
	// direction, in precedence order (see ClusterRule).
	Admin []ClusterRule
	// Baseline are the rules of the Baseline-tier ClusterNetworkPolicies selecting the members, in precedence
	// order. Always empty when Policies is not: NetworkPolicy decides for the pods it isolates.
	Baseline []ClusterRule
}

// Isolated reports whether NetworkPolicies isolate the members in the group's direction.
func (g *Group) Isolated() bool { return len(g.Policies) > 0 }

// Tier is where a ClusterNetworkPolicy is evaluated: Admin before NetworkPolicy, Baseline after it.
type Tier uint8

const (
	Admin Tier = iota + 1
	Baseline
)

func (t Tier) String() string {
	if t == Baseline {
		return "Baseline"
	}
	return "Admin"
}

// Action is what a ClusterNetworkPolicy rule does with the traffic it matches.
type Action uint8

const (
	// Accept allows the traffic in this direction; nothing later in any tier is looked at.
	Accept Action = iota
	// Deny drops the traffic; nothing later is looked at.
	Deny
	// Pass skips the rest of the tier: an Admin Pass goes on to NetworkPolicy, then Baseline; a Baseline Pass
	// to the default, allow.
	Pass
)

func (a Action) String() string {
	switch a {
	case Deny:
		return "Deny"
	case Pass:
		return "Pass"
	}
	return "Accept"
}

// ClusterRule is one ingress or egress rule of a ClusterNetworkPolicy after resolution. Rules of a tier are kept
// in precedence order: priority ascending, then policy name ascending (the API leaves ties to the
// implementation; nftpolicy's choice is documented in docs/semantics.md), then Index ascending. The first rule
// in that order that matches a connection decides it.
type ClusterRule struct {
	// Policy is the ClusterNetworkPolicy's name (cluster-scoped).
	Policy   string
	Priority int32
	// Index is the rule's position in spec.ingress or spec.egress; Name its optional name.
	Index  int
	Name   string
	Action Action
	// Peers are the matched remote addresses: pods (Addrs), nodes (Addrs), networks (Blocks without Except).
	// Any means every address: a peer this build cannot enforce in a Deny or Pass rule fails closed.
	Peers Peers
	// AllPorts is true when the rule lists no protocols: every protocol and port, ICMP too.
	AllPorts bool
	// Ports are the numeric ports of the rule (named ports of ingress rules already resolved on the group's
	// members).
	Ports []Port
	// AddrPorts are egress named ports resolved on each peer pod; the pair matches, independent of Peers and
	// Ports.
	AddrPorts []AddrPort
	// Unenforced lists the field paths of the rule nftpolicy cannot enforce (egress domainNames), for explain
	// and status; the rule is compiled as if they matched nothing (Accept) or everything (Deny, Pass).
	Unenforced []string
}

// Ref names the rule for humans: `ClusterNetworkPolicy NAME egress[3] "rule-name"`.
func (r *ClusterRule) Ref(d Direction) string {
	s := fmt.Sprintf("ClusterNetworkPolicy %s %s[%d]", r.Policy, d, r.Index)
	if r.Name != "" {
		s += fmt.Sprintf(" %q", r.Name)
	}
	return s
}

// AuditAnnotation on a Namespace, set to "true", puts the policies of its pods in audit mode.
const AuditAnnotation = "nftpolicy.dev/audit"

// PolicyRef names a NetworkPolicy, or a ClusterNetworkPolicy when Namespace is empty.
type PolicyRef struct{ Namespace, Name string }

func (p PolicyRef) String() string {
	if p.Namespace == "" {
		return p.Name
	}
	return p.Namespace + "/" + p.Name
}

// PodRef names a Pod.
type PodRef struct{ Namespace, Name string }

func (p PodRef) String() string { return p.Namespace + "/" + p.Name }

// Member is a local pod in a group.
type Member struct {
	Pod PodRef
	// IPs are the pod's addresses (status.podIPs), IPv4 and IPv6, sorted.
	IPs []netip.Addr
}

// Rule is one ingress or egress rule of one policy after resolution: traffic to or from Peers on Ports is
// allowed, and so is traffic to or from each AddrPorts entry.
type Rule struct {
	Policy PolicyRef
	// Index is the rule's position in spec.ingress or spec.egress.
	Index int
	Peers Peers
	// AllPorts is true when the rule lists no ports: every port and every protocol.
	AllPorts bool
	// Ports are the numeric ports of the rule (named ports of ingress rules already resolved on the group's
	// members). Meaningless when AllPorts is set.
	Ports []Port
	// AddrPorts are egress named ports resolved on each peer pod: the pair is allowed, independent of Peers
	// and Ports.
	AddrPorts []AddrPort
}

// Peers is the set of remote addresses a rule allows.
type Peers struct {
	// Any is true for an empty from/to list: every address.
	Any bool
	// Addrs are resolved pod addresses, sorted and unique.
	Addrs []netip.Addr
	// Blocks are ipBlock peers.
	Blocks []IPBlock
}

// IPBlock is a CIDR minus its exceptions.
type IPBlock struct {
	CIDR   netip.Prefix
	Except []netip.Prefix
}

// Protocol is a transport protocol a NetworkPolicy port can name.
type Protocol uint8

// IANA protocol numbers, as nftables' meta l4proto sees them.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	case SCTP:
		return "sctp"
	}
	return "unknown"
}

// Port is an inclusive range of destination ports of one protocol; a single port has First == Last.
type Port struct {
	Protocol    Protocol
	First, Last uint16
}

// AddrPort is one peer address with one port range.
type AddrPort struct {
	Addr netip.Addr
	Port Port
}

package ir

import "net/netip"

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

// Group is a set of local pods isolated in one direction by exactly the same policies, whose rules therefore
// resolve to the same allowed peers and ports. Pods in one group share one nftables chain.
type Group struct {
	Direction Direction
	// Key identifies the group by what selects it, not by what its peers currently resolve to: the direction,
	// the sorted policies and (for ingress) how the members resolve named ports. A peer's IP change leaves Key
	// unchanged, so only set elements change.
	Key string
	// Policies that select the members and have this direction in their policyTypes, sorted.
	Policies []PolicyRef
	// Members are the local pods of the group, sorted by Pod, each with its addresses.
	Members []Member
	// Rules is the union of the allowed traffic; empty means the members are isolated with nothing allowed.
	Rules []Rule
	// Audit says the members' namespace is in audit mode (AuditAnnotation): what the rules do not allow is
	// logged and counted as a would-be drop, and let through.
	Audit bool
}

// AuditAnnotation on a Namespace, set to "true", puts the policies of its pods in audit mode.
const AuditAnnotation = "nftpolicy.dev/audit"

// PolicyRef names a NetworkPolicy.
type PolicyRef struct{ Namespace, Name string }

func (p PolicyRef) String() string { return p.Namespace + "/" + p.Name }

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

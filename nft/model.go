package nft

import (
	"net/netip"
	"slices"
)

// TableName is the name of the only table nftpolicy owns, in the inet family.
const TableName = "nftpolicy"

// Table is the whole content of `table inet nftpolicy`.
type Table struct {
	// Sets holds sets and verdict maps, sorted by name.
	Sets []*Set
	// Chains holds base and regular chains, sorted by name.
	Chains []*Chain
}

// KeyType is the type of one field of a set key.
type KeyType uint8

// Key field types, as nft names them.
const (
	IPv4Addr    KeyType = iota + 1 // ipv4_addr
	IPv6Addr                       // ipv6_addr
	InetProto                      // inet_proto
	InetService                    // inet_service
)

// Set is a named set, or a verdict map when Map is set. Elements are sorted and, in interval sets,
// non-overlapping.
type Set struct {
	Name string
	// Key is the key's field types; more than one is a concatenation (addr . proto . port, or proto . port).
	Key []KeyType
	// Interval sets hold ranges (flags interval).
	Interval bool
	// Map makes this a verdict map: each element carries a Verdict.
	Map      bool
	Elements []Element
}

// Element is one set or map element. Which fields matter follows the set's Key: an address field uses
// Addr..AddrLast, inet_proto uses Proto, inet_service uses Port..PortLast. Exact (non-interval) sets have
// AddrLast == Addr and PortLast == Port. Element is comparable, so it can key a map.
type Element struct {
	Addr, AddrLast netip.Addr
	Proto          uint8
	Port, PortLast uint16
	// Verdict is the mapped verdict in a verdict map.
	Verdict Verdict
}

// Chain is a regular chain, or a base chain when Hook is set.
type Chain struct {
	Name  string
	Hook  *Hook
	Rules []Rule
}

// Hook attaches a base chain of type filter with policy accept.
type Hook struct {
	// Name is the netfilter hook: "forward", "input" or "output".
	Name string
	// Priority is relative to the filter priority (0).
	Priority int32
}

// Match is the condition of a rule, from a closed vocabulary the compiler uses and the kernel layer encodes.
type Match uint8

const (
	// Always matches every packet: the rule is just its verdict.
	Always Match = iota
	// CtEstablishedRelated matches `ct state established,related`.
	CtEstablishedRelated
	// ICMPv6NeighborDiscovery matches `icmpv6 type 133-137` (router and neighbour
	// solicitation/advertisement and redirect).
	ICMPv6NeighborDiscovery
	// Lookup matches when the concatenation of Fields is in Set.
	Lookup
	// VerdictMap looks the concatenation of Fields up in the verdict map Set and applies the mapped verdict;
	// the rule's own Verdict is unused.
	VerdictMap
	// PktTypeBroadcast matches `meta pkttype broadcast` (link-layer broadcast, seen on bridges).
	PktTypeBroadcast
	// PktTypeMulticast matches `meta pkttype multicast`.
	PktTypeMulticast
	// IP6LinkLocal matches `ip6 saddr fe80::/10` or `ip6 daddr fe80::/10`, as Fields[0] says.
	IP6LinkLocal
	// CtNewTCPNotSYN matches `ct state new tcp flags != syn / fin,syn,rst,ack` (nft's listing of
	// `tcp flags & (fin|syn|rst|ack) != syn`): a TCP segment conntrack takes for the start of a connection
	// although it is not a plain SYN. With nf_conntrack_tcp_loose=1 (the kernel default) a mid-stream segment
	// whose entry was deleted is picked up that way; strict mode drops it so that a cut flow stays cut.
	CtNewTCPNotSYN
)

// Field is one packet field of a lookup key.
type Field uint8

// Packet fields, as nft names them.
const (
	IPSaddr  Field = iota + 1 // ip saddr
	IPDaddr                   // ip daddr
	IP6Saddr                  // ip6 saddr
	IP6Daddr                  // ip6 daddr
	L4Proto                   // meta l4proto
	THDport                   // th dport
)

// Rule is one rule of a chain.
type Rule struct {
	Match  Match
	Fields []Field
	Set    string
	// Log, when set, sends the packet to an NFLOG group (rate-limited) when Match holds; a rule that logs may have
	// no Verdict (Kind 0): the packet then goes on to the next rule.
	Log *Log
	// Counter counts the packets and bytes for which Match holds (nft `counter`, after any log).
	Counter bool
	// Verdict is applied when Match holds (unused for VerdictMap).
	Verdict Verdict
	// Comment is shown to humans by `nft list`; at most 127 bytes.
	Comment string
}

// Log is nft's `limit rate RATE/second burst BURST packets log prefix PREFIX group GROUP`: the packet goes to
// userspace through NFLOG group Group, at most Rate per second with bursts of Burst (no limit when Rate is 0).
type Log struct {
	Group  uint16
	Prefix string // at most MaxLogPrefix bytes
	Rate   uint32
	Burst  uint32
}

// MaxLogPrefix is the longest log prefix the kernel keeps (NF_LOG_PREFIXLEN is 128 with the NUL).
const MaxLogPrefix = 127

// VerdictKind is what a verdict does.
type VerdictKind uint8

// Verdicts.
const (
	Accept VerdictKind = iota + 1
	Drop
	Return
	Jump
	Goto
)

// Verdict is a verdict; Chain is the target of Jump and Goto.
type Verdict struct {
	Kind  VerdictKind
	Chain string
}

// Equal reports whether two rules are the same rule.
func (r Rule) Equal(o Rule) bool {
	return r.Match == o.Match && r.Set == o.Set && r.Verdict == o.Verdict && r.Comment == o.Comment &&
		r.Counter == o.Counter && (r.Log == nil) == (o.Log == nil) && (r.Log == nil || *r.Log == *o.Log) &&
		slices.Equal(r.Fields, o.Fields)
}

// Unknown marks a rule read from the kernel that nftpolicy did not write; it never equals a desired rule, so
// the chain holding it is rewritten on the next sync.
const Unknown Match = 255

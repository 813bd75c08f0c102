package eval

import (
	"cmp"
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Evaluator answers verdict questions about one IR node. Safe for concurrent use after New.
type Evaluator struct {
	groups []ir.Group
	// owner maps, per direction, a member address to the group (index into groups) and pod that own it.
	owner [2]map[netip.Addr]owner
}

type owner struct {
	group int
	pod   ir.PodRef
}

// New indexes n: every address of every member, per direction, to its group, in O(groups+members). The IR is
// read, never modified, and must not be modified while the Evaluator is in use. A nil n restricts nobody.
//
// Like the compiled ruleset, when an address belongs to members of two groups of one direction (an address reused
// while the old pod still counts), the group sorted first owns it.
func New(n *ir.Node) *Evaluator {
	e := &Evaluator{owner: [2]map[netip.Addr]owner{{}, {}}}
	if n == nil {
		return e
	}
	e.groups = n.Groups
	for gi := range n.Groups {
		g := &n.Groups[gi]
		d := dirIndex(g.Direction)
		for _, m := range g.Members {
			for _, ip := range m.IPs {
				if _, taken := e.owner[d][ip]; !taken {
					e.owner[d][ip] = owner{group: gi, pod: m.Pod}
				}
			}
		}
	}
	return e
}

func dirIndex(d ir.Direction) int {
	if d == ir.Egress {
		return 1
	}
	return 0
}

// Check evaluates a new connection from src to dst on proto/port (addresses of the same family). proto may be
// any IP protocol number: only rules without ports (AllPorts) match one that is not TCP, UDP or SCTP. Addresses
// are compared as given: an IPv4-mapped IPv6 address is an IPv6 address and matches no IPv4 member, address or
// CIDR.
func (e *Evaluator) Check(src, dst netip.Addr, proto ir.Protocol, port uint16) Verdict {
	v := Verdict{
		SamePod: src == dst,
		Egress:  e.side(ir.Egress, src, dst, proto, port),
		Ingress: e.side(ir.Ingress, dst, src, proto, port),
		src:     src, dst: dst, proto: proto, port: port,
	}
	v.Allowed = v.SamePod || (v.Egress.Allowed && v.Ingress.Allowed)
	return v
}

// podOf names the pod owning addr in either direction (ingress first), the zero PodRef when none does: a pod
// of the IR that is in a group only in the other direction is still named on the side that does not restrict.
func (e *Evaluator) podOf(addr netip.Addr) ir.PodRef {
	for d := range e.owner {
		if o, ok := e.owner[d][addr]; ok {
			return o.pod
		}
	}
	return ir.PodRef{}
}

// side evaluates direction d for the pod at addr talking to peer, tier by tier: the Admin rules, first match
// (Accept and Deny decide, Pass or no match go on); then, if NetworkPolicies isolate the pod, their rules decide;
// otherwise the Baseline rules, first match, as for Admin; then the default, allow.
func (e *Evaluator) side(d ir.Direction, addr, peer netip.Addr, proto ir.Protocol, port uint16) Side {
	o, ok := e.owner[dirIndex(d)][addr]
	if !ok {
		return Side{Pod: e.podOf(addr), Allowed: true}
	}
	g := &e.groups[o.group]
	s := Side{Pod: o.pod, Isolated: g.Isolated(), Policies: slices.Clone(g.Policies)}
	c := conn{d: d, peer: peer, proto: proto, port: port}
	if s.clusterTier(ir.Admin, g.Admin, c) {
		return s
	}
	if g.Isolated() { // NetworkPolicy decides; the IR has no Baseline rules for such a group, and none would count
		s.networkPolicy(g, c)
		return s
	}
	if !s.clusterTier(ir.Baseline, g.Baseline, c) {
		s.Tier, s.Allowed = Default, true
	}
	return s
}

// conn is what one side is asked about: its direction and the peer's address, protocol and port.
type conn struct {
	d     ir.Direction
	peer  netip.Addr
	proto ir.Protocol
	port  uint16
}

// clusterTier walks the rules of tier t in order and reports whether one decided: the first that matches accepts
// or denies (true), or passes (false, recorded in Passed). Every rule looked at with unenforced fields is
// recorded in Unenforced.
func (s *Side) clusterTier(t ir.Tier, rules []ir.ClusterRule, c conn) bool {
	for i := range rules {
		r := &rules[i]
		s.looked++
		if len(r.Unenforced) > 0 {
			s.Unenforced = append(s.Unenforced, clusterRuleRef(t, c.d, r))
		}
		if !clusterRuleMatches(r, c.peer, c.proto, c.port) {
			continue
		}
		ref := clusterRuleRef(t, c.d, r)
		if r.Action == ir.Pass {
			s.Passed = append(s.Passed, ref)
			return false
		}
		s.Tier, s.DecidedBy, s.Allowed = tierOf(t), &ref, r.Action == ir.Accept
		return true
	}
	return false
}

// networkPolicy decides for a pod the group's NetworkPolicies isolate: allowed iff one of the rules allows,
// or, in audit mode, let through as a would-be drop.
func (s *Side) networkPolicy(g *ir.Group, c conn) {
	s.Tier = NetworkPolicy
	for i := range g.Rules {
		r := &g.Rules[i]
		if ruleMatches(r, c.peer, c.proto, c.port) {
			s.AllowedBy = append(s.AllowedBy, RuleRef{Policy: r.Policy, Index: r.Index})
		}
	}
	slices.SortFunc(s.AllowedBy, compareRuleRef)
	s.AllowedBy = slices.Compact(s.AllowedBy)
	s.Allowed = len(s.AllowedBy) > 0
	if !s.Allowed && g.Audit {
		s.Allowed, s.WouldDrop = true, true
	}
}

func compareRuleRef(a, b RuleRef) int {
	return cmp.Or(
		cmp.Compare(a.Policy.Namespace, b.Policy.Namespace),
		cmp.Compare(a.Policy.Name, b.Policy.Name),
		cmp.Compare(a.Index, b.Index))
}

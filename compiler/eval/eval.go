package eval

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

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
// read, never modified, and must not be modified while the Evaluator is in use. A nil n isolates nobody.
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

// Check evaluates a new connection from src to dst on proto/port (addresses of the same family). Addresses are
// compared as given: an IPv4-mapped IPv6 address is an IPv6 address and matches no IPv4 member, address or CIDR.
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
// of the IR that is isolated only in the other direction is still named on the side that does not restrict.
func (e *Evaluator) podOf(addr netip.Addr) ir.PodRef {
	for d := range e.owner {
		if o, ok := e.owner[d][addr]; ok {
			return o.pod
		}
	}
	return ir.PodRef{}
}

// side evaluates direction d for the pod at addr talking to peer.
func (e *Evaluator) side(d ir.Direction, addr, peer netip.Addr, proto ir.Protocol, port uint16) Side {
	o, ok := e.owner[dirIndex(d)][addr]
	if !ok {
		return Side{Pod: e.podOf(addr), Allowed: true}
	}
	g := &e.groups[o.group]
	s := Side{Pod: o.pod, Isolated: true, Policies: slices.Clone(g.Policies)}
	for i := range g.Rules {
		r := &g.Rules[i]
		if ruleMatches(r, peer, proto, port) {
			s.AllowedBy = append(s.AllowedBy, RuleRef{Policy: r.Policy, Index: r.Index})
		}
	}
	slices.SortFunc(s.AllowedBy, compareRuleRef)
	s.AllowedBy = slices.Compact(s.AllowedBy)
	s.Allowed = len(s.AllowedBy) > 0
	if !s.Allowed && g.Audit {
		s.Allowed, s.WouldDrop = true, true
	}
	return s
}

// ruleMatches reports whether r allows peer on proto/port: (Peers and Ports) or one of AddrPorts.
func ruleMatches(r *ir.Rule, peer netip.Addr, proto ir.Protocol, port uint16) bool {
	if (r.AllPorts || portsContain(r.Ports, proto, port)) && peersContain(&r.Peers, peer) {
		return true
	}
	for _, ap := range r.AddrPorts {
		if ap.Addr == peer && portContains(ap.Port, proto, port) {
			return true
		}
	}
	return false
}

// peersContain: Any, or one of Addrs (sorted and unique, as the IR promises), or inside a Block and outside all
// of its excepts.
func peersContain(p *ir.Peers, addr netip.Addr) bool {
	if p.Any {
		return true
	}
	if _, found := slices.BinarySearchFunc(p.Addrs, addr, netip.Addr.Compare); found {
		return true
	}
	for _, b := range p.Blocks {
		if blockContains(b, addr) {
			return true
		}
	}
	return false
}

func blockContains(b ir.IPBlock, addr netip.Addr) bool {
	if !b.CIDR.Contains(addr) {
		return false
	}
	for _, ex := range b.Except {
		if ex.Contains(addr) {
			return false
		}
	}
	return true
}

func portsContain(ports []ir.Port, proto ir.Protocol, port uint16) bool {
	for _, p := range ports {
		if portContains(p, proto, port) {
			return true
		}
	}
	return false
}

func portContains(p ir.Port, proto ir.Protocol, port uint16) bool {
	return p.Protocol == proto && p.First <= port && port <= p.Last
}

func compareRuleRef(a, b RuleRef) int {
	return cmp.Or(
		cmp.Compare(a.Policy.Namespace, b.Policy.Namespace),
		cmp.Compare(a.Policy.Name, b.Policy.Name),
		cmp.Compare(a.Index, b.Index))
}

// Verdict is the answer for one connection, with the reasons on each side.
type Verdict struct {
	// Allowed is SamePod || (Egress.Allowed && Ingress.Allowed).
	Allowed bool
	// SamePod: src == dst, allowed before any policy (a pod cannot block access to itself; docs/semantics.md).
	SamePod bool
	Egress  Side // the source's side (src a pod of the IR)
	Ingress Side // the destination's side

	// What was asked, for String.
	src, dst netip.Addr
	proto    ir.Protocol
	port     uint16
}

// Side is one direction's part of a verdict: the source's egress or the destination's ingress.
type Side struct {
	Pod       ir.PodRef      // zero when the address is not a pod in the IR (then the side does not restrict)
	Isolated  bool           // the pod is selected by a policy with this direction
	Policies  []ir.PolicyRef // the policies isolating it (sorted, from the group)
	AllowedBy []RuleRef      // the rules that allow this connection, sorted by policy then index; empty when none
	Allowed   bool           // !Isolated || len(AllowedBy) > 0 || WouldDrop
	// WouldDrop: no rule allows the connection, but the pod's namespace is in audit mode (ir.Group.Audit), so it
	// passes and the drop is only logged.
	WouldDrop bool
}

// Audited says the connection is allowed only because a side is in audit mode: enforced, it would be denied.
func (v Verdict) Audited() bool {
	return v.Allowed && !v.SamePod && (v.Egress.WouldDrop || v.Ingress.WouldDrop)
}

// RuleRef names one rule: spec.ingress[Index] or spec.egress[Index] of Policy, by the side it appears on.
type RuleRef struct {
	Policy ir.PolicyRef
	Index  int
}

// String gives a one-line explanation, e.g.
//
//	deny: ingress of y/b isolated by y/deny-all, no rule allows x/a TCP/80
//	allow: x/a -> y/b TCP/80: egress of x/a not isolated; ingress of y/b allowed by y/allow-x ingress[0]
//
// Pods are named as the IR names them, other addresses by the address.
func (v Verdict) String() string {
	src, dst := name(v.Egress.Pod, v.src), name(v.Ingress.Pod, v.dst)
	what := protoString(v.proto) + "/" + fmt.Sprint(v.port)
	if v.SamePod {
		return fmt.Sprintf("allow: %s to itself %s, before any policy (a pod cannot block access to itself)", src, what)
	}
	egress := v.Egress.explain(ir.Egress, src, dst, what)
	ingress := v.Ingress.explain(ir.Ingress, dst, src, what)
	if v.Audited() {
		return fmt.Sprintf("audit: %s -> %s %s passes, but would be denied: %s; %s", src, dst, what, egress, ingress)
	}
	if v.Allowed {
		return fmt.Sprintf("allow: %s -> %s %s: %s; %s", src, dst, what, egress, ingress)
	}
	var denied []string
	if !v.Egress.Allowed {
		denied = append(denied, egress)
	}
	if !v.Ingress.Allowed {
		denied = append(denied, ingress)
	}
	return "deny: " + strings.Join(denied, "; ")
}

// explain describes the side of self (the pod or address on this side) towards peer.
func (s Side) explain(d ir.Direction, self, peer, what string) string {
	switch {
	case !s.Isolated:
		return fmt.Sprintf("%s of %s not isolated", d, self)
	case s.WouldDrop:
		return fmt.Sprintf("%s of %s isolated by %s, no rule allows %s %s (audit mode: logged, not dropped)", d, self,
			policyList(s.Policies), peer, what)
	case s.Allowed:
		refs := make([]string, len(s.AllowedBy))
		for i, r := range s.AllowedBy {
			refs[i] = fmt.Sprintf("%s %s[%d]", r.Policy, d, r.Index)
		}
		return fmt.Sprintf("%s of %s allowed by %s", d, self, strings.Join(refs, ", "))
	default:
		return fmt.Sprintf("%s of %s isolated by %s, no rule allows %s %s", d, self, policyList(s.Policies), peer, what)
	}
}

func policyList(ps []ir.PolicyRef) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

func name(p ir.PodRef, addr netip.Addr) string {
	if p != (ir.PodRef{}) {
		return p.String()
	}
	return addr.String()
}

func protoString(p ir.Protocol) string {
	switch p {
	case ir.TCP, ir.UDP, ir.SCTP:
		return strings.ToUpper(p.String())
	}
	return fmt.Sprintf("protocol %d", p)
}

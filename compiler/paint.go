package compiler

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Painting resolves the first-match order of a tier's ClusterNetworkPolicy rules at compile time, so that the
// ruleset needs no order at all: every point of the key space gets the action of the first rule that covers it,
// and the points of one action are emitted as a set. The sets of different actions never share a point, so at
// most one of them matches a packet and the order of their lookups does not matter — within one key space.
//
// There are two key spaces. "Ported": (address, protocol, port) for TCP, UDP and SCTP, where a rule with ports
// covers its (protocol, port range) boxes and a rule without covers every port of the three. "Portless":
// (address) for every other protocol, ICMP included, where only rules without ports apply. A TCP, UDP or SCTP
// packet is looked up in both, so the ported lookups come first: where a ported point is painted Accept or Deny,
// that lookup decides. Where it is painted Pass, its address may still be painted Accept or Deny in the portless
// space (`Pass tcp/80 to X; Deny X` paints X Deny there), and the packet must not reach that lookup: those points
// are the tier's "pass conflicts", emitted as sets of their own that skip the rest of the tier (shadowed).

// actions indexes painted ranges by ir.Action (Accept, Deny, Pass).
type actions [3][]addrRange

// portSlice is a range of ports of one protocol over which the painting of the address axis is the same.
type portSlice struct {
	proto       uint8
	first, last uint16
	by          actions
}

// painting is one tier painted in one address family.
type painting struct {
	// ported holds the non-empty slices, sorted by protocol and port, neighbours with equal paintings joined.
	ported []portSlice
	// portless is the painting of the address axis for protocols other than TCP, UDP and SCTP.
	portless actions
}

// portedProtocols are the protocols of the ported key space; a rule without ports covers all of them.
var portedProtocols = []uint8{uint8(ir.TCP), uint8(ir.UDP), uint8(ir.SCTP)}

// box is the part of one rule in the ported key space for one protocol and port range.
type box struct {
	rule        int
	proto       uint8
	first, last uint16
	addrs       []addrRange
}

// paintTier paints rules, in precedence order, in the family of v4 (true: IPv4).
func paintTier(rules []ir.ClusterRule, v4 bool) *painting {
	p := &painting{}
	var boxes []box
	var painted []addrRange // portless
	for i := range rules {
		r := &rules[i]
		peers := ruleRanges(r, v4)
		if r.AllPorts && len(peers) > 0 {
			fresh := subtractRanges(peers, painted)
			p.portless[r.Action] = unionRanges(p.portless[r.Action], fresh)
			painted = unionRanges(painted, fresh)
			for _, proto := range portedProtocols {
				boxes = append(boxes, box{i, proto, 0, 65535, peers})
			}
		} else if !r.AllPorts && len(peers) > 0 {
			for _, port := range r.Ports {
				boxes = append(boxes, box{i, uint8(port.Protocol), port.First, port.Last, peers})
			}
		}
		for _, ap := range r.AddrPorts {
			if ap.Addr.Is4() == v4 {
				boxes = append(boxes, box{i, uint8(ap.Port.Protocol), ap.Port.First, ap.Port.Last, []addrRange{{ap.Addr, ap.Addr}}})
			}
		}
	}
	// Boxes by protocol, each protocol's in rule order (the sort is stable).
	slices.SortStableFunc(boxes, func(a, b box) int { return int(a.proto) - int(b.proto) })
	for len(boxes) > 0 {
		n := 1
		for n < len(boxes) && boxes[n].proto == boxes[0].proto {
			n++
		}
		p.ported = append(p.ported, paintProto(rules, boxes[:n])...)
		boxes = boxes[n:]
	}
	return p
}

// ruleRanges returns the addresses of a rule's peers in one family, in canonical form.
func ruleRanges(r *ir.ClusterRule, v4 bool) []addrRange {
	var rs []addrRange
	if r.Peers.Any {
		if v4 {
			rs = append(rs, allV4)
		} else {
			rs = append(rs, allV6)
		}
	}
	for _, a := range r.Peers.Addrs {
		if a.Is4() == v4 {
			rs = append(rs, addrRange{a, a})
		}
	}
	for _, b := range r.Peers.Blocks {
		if b.CIDR.Addr().Is4() == v4 {
			rs = append(rs, blockRanges(b)...)
		}
	}
	return mergeRanges(rs)
}

// paintProto paints the boxes of one protocol (in rule order): the port axis is cut at every box boundary, and
// within each slice the boxes covering it paint what is still unpainted of their addresses.
func paintProto(rules []ir.ClusterRule, boxes []box) []portSlice {
	var cuts []uint32 // as uint32 so that 65535+1 fits
	for _, b := range boxes {
		cuts = append(cuts, uint32(b.first), uint32(b.last)+1)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	var out []portSlice
	for i := 0; i+1 < len(cuts); i++ {
		s := portSlice{proto: boxes[0].proto, first: uint16(cuts[i]), last: uint16(cuts[i+1] - 1)}
		var painted []addrRange
		for j := 0; j < len(boxes); {
			// The boxes of one rule covering the slice paint together.
			rule := boxes[j].rule
			var cover []addrRange
			for ; j < len(boxes) && boxes[j].rule == rule; j++ {
				if b := boxes[j]; b.first <= s.first && s.first <= b.last {
					cover = append(cover, b.addrs...)
				}
			}
			if len(cover) == 0 {
				continue
			}
			fresh := subtractRanges(mergeRanges(cover), painted)
			a := rules[rule].Action
			s.by[a] = unionRanges(s.by[a], fresh)
			painted = unionRanges(painted, fresh)
		}
		if len(painted) == 0 {
			continue
		}
		if n := len(out); n > 0 && uint32(out[n-1].last)+1 == uint32(s.first) && out[n-1].by.equal(&s.by) {
			out[n-1].last = s.last
			continue
		}
		out = append(out, s)
	}
	return out
}

func (a *actions) equal(b *actions) bool {
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// boxes returns the ported points painted a.
func (p *painting) boxes(a ir.Action) []rangePort {
	return sliceBoxes(p.ported, a)
}

// shadowed returns the ported points painted one of the actions of what whose address the portless space
// paints one of the actions of under. A TCP, UDP or SCTP packet at such a point must be decided by a ported
// lookup, or it would fall to the portless lookup of its address. shadowed(Pass; Accept, Deny) are the tier's
// "pass conflicts".
func (p *painting) shadowed(what, under []ir.Action) []rangePort {
	var decided []addrRange
	for _, a := range under {
		decided = unionRanges(decided, p.portless[a])
	}
	var out []rangePort
	for _, s := range p.ported {
		var points []addrRange
		for _, a := range what {
			points = unionRanges(points, s.by[a])
		}
		for _, r := range intersectRanges(points, decided) {
			out = append(out, rangePort{r, s.proto, s.first, s.last})
		}
	}
	return out
}

func sliceBoxes(list []portSlice, a ir.Action) []rangePort {
	var out []rangePort
	for _, s := range list {
		for _, r := range s.by[a] {
			out = append(out, rangePort{r, s.proto, s.first, s.last})
		}
	}
	return out
}

// shapes sorts the points of one action into the four set shapes: ported boxes are first brought to their
// canonical, merged form (rangePortElements), so that a box cut by another action's port does not stay cut
// where that action is absent; then a single address with a single port is an exact element, the rest
// intervals. Portless ranges (canonical already) go to the exact or interval address set likewise.
func shapes(ported []rangePort, portless []addrRange) *peers {
	out := newPeers()
	out.disjoint = true
	for _, e := range rangePortElements(ported) {
		if e.Addr == e.AddrLast && e.Port == e.PortLast {
			out.addrPorts[e] = struct{}{}
		} else {
			out.rangePorts = append(out.rangePorts, rangePort{addrRange{e.Addr, e.AddrLast}, e.Proto, e.Port, e.PortLast})
		}
	}
	for _, r := range portless {
		if r.first == r.last {
			out.addrs[r.first] = struct{}{}
		} else {
			out.ranges = append(out.ranges, r)
		}
	}
	return out
}

// String renders the painting for tests and debugging: one line per slice, then the portless axis.
func (p *painting) String() string {
	var b strings.Builder
	for _, s := range p.ported {
		fmt.Fprintf(&b, "%s %d-%d:%s\n", ir.Protocol(s.proto), s.first, s.last, s.by.String())
	}
	if text := p.portless.String(); text != "" {
		fmt.Fprintf(&b, "portless:%s\n", text)
	}
	return b.String()
}

func (a *actions) String() string {
	var b strings.Builder
	for act, rs := range a {
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(&b, " %s", strings.ToLower(ir.Action(act).String()))
		for _, r := range rs {
			b.WriteString(" " + rangeText(r))
		}
	}
	return b.String()
}

// rangeText writes a range as one address or first-last.
func rangeText(r addrRange) string {
	if r.first == r.last {
		return r.first.String()
	}
	return r.first.String() + "-" + r.last.String()
}

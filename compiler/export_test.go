package compiler

import (
	"net/netip"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// PaintedActions paints rules in both families and returns a function giving the actions of every painted region
// holding a point (addr, proto, port): the ported space for TCP, UDP and SCTP, the portless one otherwise.
// Painting is right when that is exactly the first matching rule's action, or nothing when no rule matches.
func PaintedActions(rules []ir.ClusterRule) func(addr netip.Addr, proto uint8, port uint16) []ir.Action {
	v4, v6 := paintTier(rules, true), paintTier(rules, false)
	return func(addr netip.Addr, proto uint8, port uint16) []ir.Action {
		p := v6
		if addr.Is4() {
			p = v4
		}
		return p.actionsAt(addr, proto, port)
	}
}

func (p *painting) actionsAt(addr netip.Addr, proto uint8, port uint16) []ir.Action {
	var out []ir.Action
	holds := func(by *actions) {
		for a, rs := range by {
			for _, r := range rs {
				if !addr.Less(r.first) && !r.last.Less(addr) {
					out = append(out, ir.Action(a))
				}
			}
		}
	}
	switch ir.Protocol(proto) {
	case ir.TCP, ir.UDP, ir.SCTP:
		for i := range p.ported {
			if s := &p.ported[i]; s.proto == proto && s.first <= port && port <= s.last {
				holds(&s.by)
			}
		}
	default:
		holds(&p.portless)
	}
	return out
}

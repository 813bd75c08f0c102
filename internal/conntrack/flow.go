package conntrack

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Flow is one conntrack entry, by its original direction.
type Flow struct {
	Family           int        // 4 or 6
	Proto            uint8      // 6 TCP, 17 UDP, 132 SCTP (others are listed too; ports 0)
	Src, Dst         netip.Addr // original direction
	SrcPort, DstPort uint16
	// ReplySrc, ReplyDst: the reply tuple's addresses (differ from Dst/Src when NAT happened, e.g. a Service
	// DNAT).
	ReplySrc, ReplyDst         netip.Addr
	ReplySrcPort, ReplyDstPort uint16

	// What else the kernel needs to find the entry again, kept so that a Flow that came from Flows can be
	// handed straight back to Delete. Unexported because a policy decision never depends on it.
	zone uint16  // conntrack zone (CTA_ZONE); 0, the default zone, for nearly every entry
	icmp icmpKey // ICMP and ICMPv6 tuples are keyed by id, type and code instead of ports
}

// icmpKey is the part of an ICMP or ICMPv6 tuple that takes the place of ports.
type icmpKey struct {
	set       bool // the entry came from a dump; a hand-made ICMP Flow cannot be deleted
	id        uint16
	typ, code uint8
}

// String is for logs and errors: "tcp 10.0.0.1:40000 -> 10.96.0.10:53", plus the reply tuple when it is not
// the original one mirrored (NAT), and the zone when it is not 0.
func (f Flow) String() string {
	var s string
	if f.icmp.set {
		s = fmt.Sprintf("%s %s -> %s (type %d code %d id %d)", protoName(f.Proto), f.Src, f.Dst, f.icmp.typ,
			f.icmp.code, f.icmp.id)
	} else {
		s = protoName(f.Proto) + " " + endpoint(f.Src, f.SrcPort) + " -> " + endpoint(f.Dst, f.DstPort)
		if f.ReplySrc != f.Dst || f.ReplyDst != f.Src || f.ReplySrcPort != f.DstPort || f.ReplyDstPort != f.SrcPort {
			s += " (reply " + endpoint(f.ReplySrc, f.ReplySrcPort) + " -> " + endpoint(f.ReplyDst, f.ReplyDstPort) + ")"
		}
	}
	if f.zone != 0 {
		s += " zone " + strconv.Itoa(int(f.zone))
	}
	return s
}

func endpoint(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a, port).String()
}

func protoName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmpv6"
	case 132:
		return "sctp"
	}
	return fmt.Sprintf("proto-%d", p)
}

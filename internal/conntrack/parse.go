package conntrack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// tuple is one direction of an entry as ctnetlink encodes it (struct nf_conntrack_tuple).
type tuple struct {
	src, dst     netip.Addr
	proto        uint8
	sport, dport uint16
	icmp         icmpKey
	zone         uint16 // CTA_TUPLE_ZONE, a zone that applies to this direction only
	hasIP        bool
	hasProto     bool
}

// errSkip marks an entry of an address family this package does not report (conntrack tracks only IPv4 and
// IPv6, so this is defence, not an expected case).
var errSkip = errors.New("not an IPv4 or IPv6 entry")

// parseEntry decodes one IPCTNL_MSG_CT_NEW message of a dump (nfgenmsg and attributes) into a Flow. It never
// panics: every length is checked by the attribute decoder or here, and a malformed entry is an error.
func parseEntry(data []byte) (Flow, error) {
	if len(data) < nfgenmsgLen {
		return Flow{}, fmt.Errorf("entry of %d bytes has no nfgenmsg", len(data))
	}
	var f Flow
	switch data[0] {
	case unix.AF_INET:
		f.Family = 4
	case unix.AF_INET6:
		f.Family = 6
	default:
		return Flow{}, errSkip
	}
	ad, err := netlink.NewAttributeDecoder(data[nfgenmsgLen:])
	if err != nil {
		return Flow{}, fmt.Errorf("entry attributes: %w", err)
	}
	ad.ByteOrder = binary.BigEndian // ctnetlink's integers are all big-endian
	var orig, reply tuple
	var hasOrig, hasReply, hasZone bool
	for ad.Next() {
		// Type masks off NLA_F_NESTED and NLA_F_NET_BYTEORDER, which the kernel sets on nests.
		switch ad.Type() {
		case ctaTupleOrig:
			hasOrig = true
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseTuple(nad, &orig) })
		case ctaTupleReply:
			hasReply = true
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseTuple(nad, &reply) })
		case ctaZone:
			hasZone = true
			f.zone = ad.Uint16()
		}
	}
	if err := ad.Err(); err != nil {
		return Flow{}, fmt.Errorf("entry attributes: %w", err)
	}
	if !hasOrig || !hasReply {
		return Flow{}, fmt.Errorf("entry without an original or a reply tuple")
	}
	if err := orig.check(f.Family); err != nil {
		return Flow{}, fmt.Errorf("original tuple: %w", err)
	}
	if err := reply.check(f.Family); err != nil {
		return Flow{}, fmt.Errorf("reply tuple: %w", err)
	}
	if !hasZone && orig.zone != 0 {
		// A zone for the original direction only: the lookup by original tuple happens in that zone.
		f.zone = orig.zone
	}
	f.Proto = orig.proto
	f.Src, f.Dst, f.SrcPort, f.DstPort = orig.src, orig.dst, orig.sport, orig.dport
	f.ReplySrc, f.ReplyDst, f.ReplySrcPort, f.ReplyDstPort = reply.src, reply.dst, reply.sport, reply.dport
	if f.Proto == protoICMP || f.Proto == protoICMPv6 {
		f.icmp = orig.icmp
	}
	return f, nil
}

func parseTuple(ad *netlink.AttributeDecoder, t *tuple) error {
	for ad.Next() {
		switch ad.Type() {
		case ctaTupleIP:
			t.hasIP = true
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseIP(nad, t) })
		case ctaTupleProto:
			t.hasProto = true
			ad.Nested(func(nad *netlink.AttributeDecoder) error { return parseProto(nad, t) })
		case ctaTupleZone:
			t.zone = ad.Uint16()
		}
	}
	return ad.Err()
}

func parseIP(ad *netlink.AttributeDecoder, t *tuple) error {
	for ad.Next() {
		var dst *netip.Addr
		want := 4
		switch ad.Type() {
		case ctaIPv4Src:
			dst = &t.src
		case ctaIPv4Dst:
			dst = &t.dst
		case ctaIPv6Src:
			dst, want = &t.src, 16
		case ctaIPv6Dst:
			dst, want = &t.dst, 16
		default:
			continue
		}
		b := ad.Bytes()
		if len(b) != want {
			return fmt.Errorf("address attribute %d of %d bytes, want %d", ad.Type(), len(b), want)
		}
		a, _ := netip.AddrFromSlice(b) // cannot fail: the length is 4 or 16
		*dst = a
	}
	return ad.Err()
}

func parseProto(ad *netlink.AttributeDecoder, t *tuple) error {
	for ad.Next() {
		switch ad.Type() {
		case ctaProtoNum:
			t.proto = ad.Uint8()
		case ctaProtoSrcPort:
			t.sport = ad.Uint16()
		case ctaProtoDstPort:
			t.dport = ad.Uint16()
		case ctaProtoICMPID, ctaProtoICMPv6ID:
			t.icmp.set, t.icmp.id = true, ad.Uint16()
		case ctaProtoICMPType, ctaProtoICMPv6Type:
			t.icmp.set, t.icmp.typ = true, ad.Uint8()
		case ctaProtoICMPCode, ctaProtoICMPv6Code:
			t.icmp.set, t.icmp.code = true, ad.Uint8()
		}
	}
	return ad.Err()
}

// check reports a tuple that lacks what every entry has: both addresses, of the message's family, and a
// protocol.
func (t *tuple) check(family int) error {
	switch {
	case !t.hasIP || !t.src.IsValid() || !t.dst.IsValid():
		return errors.New("no source or destination address")
	case !t.hasProto:
		return errors.New("no protocol")
	case (family == 4) != t.src.Is4() || t.src.Is4() != t.dst.Is4():
		return fmt.Errorf("addresses %s, %s in an IPv%d entry", t.src, t.dst, family)
	}
	return nil
}

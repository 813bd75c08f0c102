package conntrack

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// deleteRequest encodes the body of an IPCTNL_MSG_CT_DELETE for f: nfgenmsg with f's family (the kernel reads
// the tuple's addresses by it), the original tuple, and the zone. The kernel looks the entry up by exactly
// these, so every field the tuple has for f's protocol must be present.
func deleteRequest(f Flow) ([]byte, error) {
	family, src, dst, err := addrs(f)
	if err != nil {
		return nil, err
	}
	if (f.Proto == protoICMP || f.Proto == protoICMPv6) && !f.icmp.set {
		return nil, errors.New("an ICMP flow is keyed by ICMP id, type and code, which only a Flow from Flows carries")
	}
	b := make([]byte, 0, 96) // what an IPv6 request needs
	b = append(b, nfgenmsg(family)...)
	b = appendTuple(b, ctaTupleOrig, wireTuple{src, dst, f.Proto, f.SrcPort, f.DstPort, f.icmp})
	// Zone 0 is what the kernel looks in without the attribute; sent for it, CTA_ZONE makes a kernel built
	// without conntrack zones refuse every delete (EOPNOTSUPP).
	if f.zone == 0 {
		return b, nil
	}
	return appendAttr(b, ctaZone, be16(f.zone)...), nil
}

// wireTuple is a tuple with its addresses as the kernel wants them (4 or 16 bytes).
type wireTuple struct {
	src, dst     []byte
	proto        uint8
	sport, dport uint16
	icmp         icmpKey
}

// appendTuple appends the nested tuple typ (CTA_TUPLE_ORIG or CTA_TUPLE_REPLY).
func appendTuple(b []byte, typ uint16, t wireTuple) []byte {
	tup := len(b)
	b = beginNest(b, typ)
	ip := len(b)
	b = beginNest(b, ctaTupleIP)
	if len(t.src) == 16 {
		b = appendAttr(b, ctaIPv6Src, t.src...)
		b = appendAttr(b, ctaIPv6Dst, t.dst...)
	} else {
		b = appendAttr(b, ctaIPv4Src, t.src...)
		b = appendAttr(b, ctaIPv4Dst, t.dst...)
	}
	b = endNest(b, ip)
	proto := len(b)
	b = beginNest(b, ctaTupleProto)
	b = appendAttr(b, ctaProtoNum, t.proto)
	switch t.proto {
	case protoICMP:
		b = appendAttr(b, ctaProtoICMPID, be16(t.icmp.id)...)
		b = appendAttr(b, ctaProtoICMPType, t.icmp.typ)
		b = appendAttr(b, ctaProtoICMPCode, t.icmp.code)
	case protoICMPv6:
		b = appendAttr(b, ctaProtoICMPv6ID, be16(t.icmp.id)...)
		b = appendAttr(b, ctaProtoICMPv6Type, t.icmp.typ)
		b = appendAttr(b, ctaProtoICMPv6Code, t.icmp.code)
	default:
		// TCP, UDP, UDP-Lite, SCTP, DCCP (and GRE's key) are keyed by ports; for protocols conntrack tracks
		// generically the kernel ignores them, and a dump reports none (0 here).
		b = appendAttr(b, ctaProtoSrcPort, be16(t.sport)...)
		b = appendAttr(b, ctaProtoDstPort, be16(t.dport)...)
	}
	b = endNest(b, proto)
	return endNest(b, tup)
}

// Netlink attributes (struct nlattr): length and type in the host's byte order, then the payload, padded to 4
// bytes. ctnetlink's payloads themselves are big-endian.
const nlaHdrLen = 4

func appendAttr(b []byte, typ uint16, payload ...byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(nlaHdrLen+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// beginNest appends the header of a nested attribute with NLA_F_NESTED set, as the kernel sets it on what it
// sends (it does not require the flag on what it receives, but strict netlink parsers do); endNest, given where
// the header starts, fills in the length once the nest's content is appended.
func beginNest(b []byte, typ uint16) []byte {
	return appendAttr(b, typ|unix.NLA_F_NESTED)
}

func endNest(b []byte, start int) []byte {
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	return b
}

func be16(v uint16) []byte { return []byte{byte(v >> 8), byte(v)} }

// addrs checks f's family against its original addresses and returns the address family and the addresses as
// the kernel wants them.
func addrs(f Flow) (family uint8, src, dst []byte, err error) {
	s, d := f.Src, f.Dst
	switch f.Family {
	case 4:
		s, d = s.Unmap(), d.Unmap()
		if !s.Is4() || !d.Is4() {
			return 0, nil, nil, fmt.Errorf("IPv4 flow with addresses %s, %s", f.Src, f.Dst)
		}
		a, b := s.As4(), d.As4()
		return unix.AF_INET, a[:], b[:], nil
	case 6:
		if !s.Is6() || !d.Is6() {
			return 0, nil, nil, fmt.Errorf("IPv6 flow with addresses %s, %s", f.Src, f.Dst)
		}
		a, b := s.As16(), d.As16()
		return unix.AF_INET6, a[:], b[:], nil
	}
	return 0, nil, nil, fmt.Errorf("address family %d (want 4 or 6)", f.Family)
}

package nflog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// parseIP fills p's family, addresses, protocol, ports and TCP flags from b, the logged bytes of a packet, which
// begin at its IP header. A network header cut short is an error; a transport header that is missing (a later
// fragment, an IPv6 extension header chain this package cannot walk or that runs past the copied bytes) or
// cut short leaves the ports and flags 0, since the addresses alone still say who talked to whom.
func parseIP(b []byte, p *Packet) error {
	if len(b) == 0 {
		return errors.New("no payload")
	}
	switch v := b[0] >> 4; v {
	case 4:
		return parseIPv4(b, p)
	case 6:
		return parseIPv6(b, p)
	default:
		return fmt.Errorf("IP version %d", v)
	}
}

func parseIPv4(b []byte, p *Packet) error {
	const minHdr = 20
	if len(b) < minHdr {
		return fmt.Errorf("IPv4 header cut at %d bytes", len(b))
	}
	hlen := int(b[0]&0x0f) * 4
	if hlen < minHdr {
		return fmt.Errorf("IPv4 header length %d", hlen)
	}
	if len(b) < hlen {
		return fmt.Errorf("IPv4 header of %d bytes cut at %d", hlen, len(b))
	}
	// The kernel copies at most the packet, but a total length below the copy leaves trailing bytes (link-layer
	// padding) that are not transport header.
	if total := int(binary.BigEndian.Uint16(b[2:4])); total >= hlen && total < len(b) {
		b = b[:total]
	}
	p.Family = 4
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	p.Proto = b[9]
	// Only the first fragment carries the transport header.
	if binary.BigEndian.Uint16(b[6:8])&0x1fff != 0 {
		return nil
	}
	parseTransport(b[hlen:], p)
	return nil
}

func parseIPv6(b []byte, p *Packet) error {
	const hdr = 40
	if len(b) < hdr {
		return fmt.Errorf("IPv6 header cut at %d bytes", len(b))
	}
	p.Family = 6
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	next, rest := b[6], b[hdr:]
	// As for IPv4, bytes past the payload length are padding. 0 is a jumbogram, whose length is an option.
	if plen := int(binary.BigEndian.Uint16(b[4:6])); plen != 0 && plen < len(rest) {
		rest = rest[:plen]
	}
	// Each extension header is at least 8 bytes, so the walk ends within len(rest)/8 steps.
	for {
		var n int
		switch next {
		case unix.IPPROTO_HOPOPTS, unix.IPPROTO_ROUTING, unix.IPPROTO_DSTOPTS,
			135, 139, 140: // Mobility, HIP, Shim6 (RFC 7045): the same length field as the options headers
			if len(rest) < 2 {
				p.Proto = next
				return nil
			}
			n = (int(rest[1]) + 1) * 8
		case unix.IPPROTO_FRAGMENT:
			if len(rest) < 8 {
				p.Proto = next
				return nil
			}
			if binary.BigEndian.Uint16(rest[2:4])&0xfff8 != 0 {
				p.Proto = rest[0] // a later fragment: its protocol, but no transport header
				return nil
			}
			n = 8
		case unix.IPPROTO_AH:
			if len(rest) < 2 {
				p.Proto = next
				return nil
			}
			n = (int(rest[1]) + 2) * 4
		default:
			p.Proto = next
			parseTransport(rest, p)
			return nil
		}
		if len(rest) < n {
			p.Proto = next
			return nil
		}
		next, rest = rest[0], rest[n:]
	}
}

// parseTransport reads the ports of TCP, UDP and SCTP (all begin with source and destination port) and the
// flags of TCP from b, which begins at the transport header p.Proto names.
func parseTransport(b []byte, p *Packet) {
	switch p.Proto {
	case unix.IPPROTO_TCP, unix.IPPROTO_UDP, unix.IPPROTO_SCTP:
	default:
		return
	}
	if len(b) < 4 {
		return
	}
	p.SrcPort = binary.BigEndian.Uint16(b[0:2])
	p.DstPort = binary.BigEndian.Uint16(b[2:4])
	if p.Proto == unix.IPPROTO_TCP && len(b) > 13 {
		p.TCPFlags = b[13]
	}
}

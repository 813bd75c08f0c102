package nflog

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

var (
	v4src = netip.MustParseAddr("10.1.2.3")
	v4dst = netip.MustParseAddr("10.4.5.6")
	v6src = netip.MustParseAddr("fd00::1")
	v6dst = netip.MustParseAddr("fd00::2:3")
)

// ipv4 builds an IPv4 header with optWords 32-bit words of options (NOPs) in front of l4.
func ipv4(proto uint8, optWords int, fragOff uint16, l4 []byte) []byte {
	hlen := 20 + 4*optWords
	b := make([]byte, hlen, hlen+len(l4))
	b[0] = 0x40 | byte(hlen/4)
	binary.BigEndian.PutUint16(b[2:4], uint16(hlen+len(l4)))
	binary.BigEndian.PutUint16(b[6:8], fragOff)
	b[8] = 64
	b[9] = proto
	copy(b[12:16], v4src.AsSlice())
	copy(b[16:20], v4dst.AsSlice())
	for i := 20; i < hlen; i++ {
		b[i] = 1 // NOP
	}
	return append(b, l4...)
}

// ipv6 builds an IPv6 header whose next header is next, followed by rest (extension headers and l4).
func ipv6(next uint8, rest []byte) []byte {
	b := make([]byte, 40, 40+len(rest))
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:6], uint16(len(rest)))
	b[6] = next
	b[7] = 64
	copy(b[8:24], v6src.AsSlice())
	copy(b[24:40], v6dst.AsSlice())
	return append(b, rest...)
}

// ext is an options-style extension header (hop-by-hop, destination, routing) of 8*(1+extra) bytes.
func ext(next uint8, extra int) []byte {
	b := make([]byte, 8*(1+extra))
	b[0], b[1] = next, byte(extra)
	return b
}

func tcp(src, dst uint16, flags uint8) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:2], src)
	binary.BigEndian.PutUint16(b[2:4], dst)
	b[12] = 5 << 4
	b[13] = flags
	return b
}

func udp(src, dst uint16) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b[0:2], src)
	binary.BigEndian.PutUint16(b[2:4], dst)
	binary.BigEndian.PutUint16(b[4:6], 8)
	return b
}

func icmpEcho() []byte { return []byte{8, 0, 0, 0, 0, 1, 0, 1} }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func TestParseIP(t *testing.T) {
	tcp4 := Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 6, SrcPort: 40000, DstPort: 443, TCPFlags: 0x02}
	udp6 := Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 17, SrcPort: 5353, DstPort: 53}
	for _, c := range []struct {
		name string
		in   []byte
		want Packet
	}{
		{"IPv4 TCP SYN", ipv4(6, 0, 0, tcp(40000, 443, 0x02)), tcp4},
		{"IPv4 with options", ipv4(6, 10, 0, tcp(40000, 443, 0x02)), tcp4},
		{"IPv4 UDP", ipv4(17, 0, 0, udp(5353, 53)),
			Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 17, SrcPort: 5353, DstPort: 53}},
		{"IPv4 SCTP", ipv4(132, 0, 0, udp(1000, 2000)[:4]),
			Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 132, SrcPort: 1000, DstPort: 2000}},
		{"IPv4 ICMP has no ports", ipv4(1, 0, 0, icmpEcho()), Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 1}},
		{"IPv4 first fragment", ipv4(17, 0, 0x2000, udp(5353, 53)),
			Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 17, SrcPort: 5353, DstPort: 53}},
		{"IPv4 later fragment has no ports", ipv4(17, 0, 0x2000|185, udp(5353, 53)),
			Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 17}},
		{"IPv4 TCP cut before its flags", ipv4(6, 0, 0, tcp(40000, 443, 0x02)[:8]),
			Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 6, SrcPort: 40000, DstPort: 443}},
		{"IPv4 TCP cut before its ports", ipv4(6, 0, 0, tcp(40000, 443, 0x02)[:3]),
			Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 6}},
		{"IPv4 padding after the packet is not transport header",
			append(ipv4(17, 0, 0, nil), 0xaa, 0xbb, 0xcc, 0xdd), Packet{Family: 4, Src: v4src, Dst: v4dst, Proto: 17}},

		{"IPv6 UDP", ipv6(17, udp(5353, 53)), udp6},
		{"IPv6 TCP", ipv6(6, tcp(40000, 443, 0x12)),
			Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 6, SrcPort: 40000, DstPort: 443, TCPFlags: 0x12}},
		{"IPv6 ICMPv6", ipv6(58, icmpEcho()), Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 58}},
		{"IPv6 hop-by-hop, routing, destination options",
			ipv6(0, cat(ext(43, 0), ext(60, 2), ext(17, 0), udp(5353, 53))), udp6},
		{"IPv6 first fragment", ipv6(44, cat([]byte{17, 0, 0, 1, 0, 0, 0, 9}, udp(5353, 53))), udp6},
		{"IPv6 later fragment has no ports", ipv6(44, cat([]byte{17, 0, 0x05, 0xc8, 0, 0, 0, 9}, udp(5353, 53))),
			Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 17}},
		{"IPv6 AH", ipv6(51, cat([]byte{17, 4, 0, 0}, make([]byte, 20), udp(5353, 53))), udp6},
		{"IPv6 ESP hides the rest", ipv6(50, make([]byte, 16)), Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 50}},
		{"IPv6 no next header", ipv6(59, nil), Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 59}},
		{"IPv6 extension header past the copy", ipv6(0, cat(ext(17, 20), udp(5353, 53)))[:128],
			Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 0}},
		{"IPv6 extension header cut in its first bytes", ipv6(60, []byte{17}),
			Packet{Family: 6, Src: v6src, Dst: v6dst, Proto: 60}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := parseIP(c.in, &p); err != nil {
				t.Fatalf("parseIP: %v", err)
			}
			if p != c.want {
				t.Errorf("got  %+v\nwant %+v", p, c.want)
			}
		})
	}
}

func TestParseIPRefuses(t *testing.T) {
	badIHL := ipv4(6, 0, 0, tcp(1, 2, 0))
	badIHL[0] = 0x44
	longIHL := ipv4(6, 0, 0, nil)
	longIHL[0] = 0x4f // 60 bytes of header in 20
	for _, c := range []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not IP", []byte{0x08, 0x06, 0, 1}},
		{"IPv4 cut in the fixed header", ipv4(6, 0, 0, tcp(1, 2, 0))[:19]},
		{"IPv4 cut in its options", ipv4(6, 4, 0, tcp(1, 2, 0))[:30]},
		{"IPv4 header length below 20", badIHL},
		{"IPv4 header length past the bytes", longIHL},
		{"IPv6 cut in the fixed header", ipv6(17, udp(1, 2))[:39]},
		{"one byte", []byte{0x60}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var p Packet
			if err := parseIP(c.in, &p); err == nil {
				t.Errorf("parsed as %+v", p)
			}
		})
	}
}

// Every prefix of a valid packet parses or fails without panicking, and whatever parses has the right family.
func TestParseIPTruncations(t *testing.T) {
	for _, full := range [][]byte{
		ipv4(6, 10, 0, tcp(1, 2, 0x02)),
		ipv6(0, cat(ext(43, 1), ext(44, 0), []byte{17, 0, 0, 0, 0, 0, 0, 1}, udp(1, 2))),
		ipv6(51, cat([]byte{6, 4, 0, 0}, make([]byte, 20), tcp(1, 2, 0x02))),
	} {
		for n := range len(full) {
			var p Packet
			if err := parseIP(full[:n], &p); err == nil && p.Family != int(full[0]>>4) {
				t.Errorf("%d bytes of %x: family %d", n, full, p.Family)
			}
		}
	}
}

func FuzzParseIP(f *testing.F) {
	f.Add(ipv4(6, 1, 0, tcp(1, 2, 0x02)))
	f.Add(ipv6(0, cat(ext(44, 0), udp(1, 2))))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Packet
		_ = parseIP(b, &p)
	})
}

package conntrack

import (
	"bytes"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// entry encodes a dump entry the way the kernel does: nfgenmsg, both tuples, then extra attributes.
func entry(family uint8, orig, reply wireTuple, extra ...byte) []byte {
	b := nfgenmsg(family)
	b = appendTuple(b, ctaTupleOrig, orig)
	b = appendTuple(b, ctaTupleReply, reply)
	return append(b, extra...)
}

func ip(s string) []byte { return netip.MustParseAddr(s).AsSlice() }

func TestParseEntry(t *testing.T) {
	// A Service DNAT: the client talked to the ClusterIP; the pod answers.
	natted := entry(unix.AF_INET,
		wireTuple{src: ip("10.0.0.5"), dst: ip("10.96.0.10"), proto: 6, sport: 40000, dport: 80},
		wireTuple{src: ip("10.0.1.7"), dst: ip("10.0.0.5"), proto: 6, sport: 8080, dport: 40000},
		appendAttr(nil, ctaZone, be16(3)...)...)
	f, err := parseEntry(natted)
	want := Flow{Family: 4, Proto: 6,
		Src: netip.MustParseAddr("10.0.0.5"), Dst: netip.MustParseAddr("10.96.0.10"), SrcPort: 40000, DstPort: 80,
		ReplySrc: netip.MustParseAddr("10.0.1.7"), ReplyDst: netip.MustParseAddr("10.0.0.5"), ReplySrcPort: 8080,
		ReplyDstPort: 40000, zone: 3}
	if err != nil || f != want {
		t.Errorf("parseEntry(DNAT) = %+v, %v\nwant %+v", f, err, want)
	}
	if s := f.String(); s != "tcp 10.0.0.5:40000 -> 10.96.0.10:80 (reply 10.0.1.7:8080 -> 10.0.0.5:40000) zone 3" {
		t.Errorf("String = %q", s)
	}

	// ICMPv6 echo, and nests without NLA_F_NESTED (which older kernels did not set).
	echo := icmpKey{set: true, id: 7, typ: 128}
	b := entry(unix.AF_INET6, wireTuple{src: ip("fd00::1"), dst: ip("fd00::2"), proto: 58, icmp: echo},
		wireTuple{src: ip("fd00::2"), dst: ip("fd00::1"), proto: 58, icmp: icmpKey{set: true, id: 7, typ: 129}})
	b = clearNested(b)
	f, err = parseEntry(b)
	if err != nil || f.Family != 6 || f.Proto != 58 || f.icmp != echo || f.Src != netip.MustParseAddr("fd00::1") ||
		f.ReplySrc != netip.MustParseAddr("fd00::2") || f.SrcPort != 0 {
		t.Errorf("parseEntry(ICMPv6) = %+v, %v", f, err)
	}
	if s := f.String(); s != "icmpv6 fd00::1 -> fd00::2 (type 128 code 0 id 7)" {
		t.Errorf("String = %q", s)
	}

	// A zone for the original direction only (CTA_TUPLE_ZONE inside the tuple).
	udp := wireTuple{src: ip("10.0.0.1"), dst: ip("10.0.0.2"), proto: 17, sport: 1, dport: 2}
	orig := appendTuple(nil, ctaTupleOrig, udp)
	orig = insertInNest(orig, appendAttr(nil, ctaTupleZone, be16(9)...))
	b = append(nfgenmsg(unix.AF_INET), orig...)
	b = appendTuple(b, ctaTupleReply, wireTuple{src: ip("10.0.0.2"), dst: ip("10.0.0.1"), proto: 17, sport: 2, dport: 1})
	if f, err := parseEntry(b); err != nil || f.zone != 9 {
		t.Errorf("parseEntry(directional zone) = %+v, %v", f, err)
	}
}

// clearNested removes NLA_F_NESTED from the tuples and their nests in an entry made by entry.
func clearNested(b []byte) []byte {
	b = bytes.Clone(b)
	var walk func(b []byte)
	walk = func(b []byte) {
		for len(b) >= nlaHdrLen {
			l := int(b[0]) | int(b[1])<<8
			if l < nlaHdrLen || l > len(b) {
				return
			}
			if b[3]&0x80 != 0 {
				b[3] &^= 0x80
				walk(b[nlaHdrLen:l])
			}
			b = b[(l+3)&^3:]
		}
	}
	walk(b[nfgenmsgLen:])
	return b
}

// insertInNest appends attr to the content of the nest b and fixes its length.
func insertInNest(b, attr []byte) []byte {
	b = append(b, attr...)
	return endNest(b, 0)
}

func TestDeleteRequest(t *testing.T) {
	f := Flow{Family: 4, Proto: 17, Src: netip.MustParseAddr("::ffff:10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"),
		SrcPort: 0x1234, DstPort: 53}
	b, err := deleteRequest(f)
	if err != nil {
		t.Fatal(err)
	}
	// nfgenmsg; orig {ip {src, dst}, proto {num, sport, dport}}; zone when not 0. Lengths and types in host order, nests
	// flagged, values big-endian.
	want := []byte{unix.AF_INET, 0, 0, 0}
	want = append(want, le(52, ctaTupleOrig|0x8000)...)
	want = append(want, le(20, ctaTupleIP|0x8000)...)
	want = append(want, le(8, ctaIPv4Src)...)
	want = append(want, 10, 0, 0, 1)
	want = append(want, le(8, ctaIPv4Dst)...)
	want = append(want, 10, 0, 0, 2)
	want = append(want, le(28, ctaTupleProto|0x8000)...)
	want = append(want, le(5, ctaProtoNum)...)
	want = append(want, 17, 0, 0, 0)
	want = append(want, le(6, ctaProtoSrcPort)...)
	want = append(want, 0x12, 0x34, 0, 0)
	want = append(want, le(6, ctaProtoDstPort)...)
	want = append(want, 0, 53, 0, 0) // zone 0: no CTA_ZONE (a kernel without zones would refuse it)
	if !bytes.Equal(b, want) {
		t.Errorf("deleteRequest =\n%v\nwant\n%v", b, want)
	}
	f.zone = 7
	if b, err = deleteRequest(f); err != nil {
		t.Fatal(err)
	}
	want = append(want, le(6, ctaZone)...)
	want = append(want, 0, 7, 0, 0)
	if !bytes.Equal(b, want) {
		t.Errorf("deleteRequest in zone 7 =\n%v\nwant\n%v", b, want)
	}

	for _, tc := range []struct {
		f    Flow
		want string
	}{
		{Flow{Family: 0, Src: f.Src, Dst: f.Dst}, "address family 0"},
		{Flow{Family: 4, Src: netip.IPv6Loopback(), Dst: f.Dst}, "IPv4 flow with addresses ::1"},
		{Flow{Family: 6, Src: netip.IPv6Loopback()}, "IPv6 flow with addresses ::1, invalid IP"},
		{Flow{Family: 4, Proto: 1, Src: f.Dst, Dst: f.Dst}, "keyed by ICMP id"},
	} {
		if _, err := deleteRequest(tc.f); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("deleteRequest(%+v) = %v, want an error with %q", tc.f, err, tc.want)
		}
	}
}

func le(l, typ uint16) []byte { return []byte{byte(l), byte(l >> 8), byte(typ), byte(typ >> 8)} }

func TestParseEntryMalformed(t *testing.T) {
	v4 := wireTuple{src: ip("10.0.0.1"), dst: ip("10.0.0.2"), proto: 6, sport: 1, dport: 2}
	good := entry(unix.AF_INET, v4, v4)
	bad := map[string][]byte{
		"empty":             nil,
		"short nfgenmsg":    {2, 0},
		"no attributes":     nfgenmsg(unix.AF_INET),
		"no reply tuple":    append(nfgenmsg(unix.AF_INET), appendTuple(nil, ctaTupleOrig, v4)...),
		"truncated":         good[:len(good)-3],
		"length past end":   append(bytes.Clone(good), 0xff, 0, 1, 0),
		"short address":     entry(unix.AF_INET, wireTuple{src: []byte{10, 0, 0}, dst: ip("10.0.0.2"), proto: 6}, v4),
		"IPv6 in IPv4":      entry(unix.AF_INET, wireTuple{src: ip("::1"), dst: ip("::1"), proto: 6}, v4),
		"mixed families":    entry(unix.AF_INET6, wireTuple{src: ip("::1"), dst: ip("10.0.0.1"), proto: 6}, v4),
		"no addresses":      entry(unix.AF_INET, wireTuple{proto: 6}, v4),
		"one-byte port":     withAttrInProto(appendAttr(nil, ctaProtoSrcPort, 1)),
		"two-byte protocol": withAttrInProto(appendAttr(nil, ctaProtoNum, 1, 2)),
		"three-byte zone":   append(bytes.Clone(good), appendAttr(nil, ctaZone, 1, 2, 3)...),
	}
	for name, b := range bad {
		if f, err := parseEntry(b); err == nil {
			t.Errorf("%s: parseEntry = %+v, want an error", name, f)
		}
	}
	if _, err := parseEntry(append([]byte{unix.AF_BRIDGE, 0, 0, 0}, good[4:]...)); !errors.Is(err, errSkip) {
		t.Errorf("bridge family: %v, want errSkip", err)
	}
}

// withAttrInProto rebuilds an IPv4 TCP entry with attr added at the end of the original tuple's proto nest.
func withAttrInProto(attr []byte) []byte {
	tcp := wireTuple{src: ip("10.0.0.1"), dst: ip("10.0.0.2"), proto: 6, sport: 1, dport: 2}
	orig := appendTuple(nil, ctaTupleOrig, tcp)
	// The proto nest is the last thing in the tuple: grow it and the tuple by attr.
	ipLen := int(orig[4]) | int(orig[5])<<8
	proto := nlaHdrLen + ipLen
	orig = append(orig, attr...)
	orig = endNest(orig, proto)
	orig = endNest(orig, 0)
	b := append(nfgenmsg(unix.AF_INET), orig...)
	return appendTuple(b, ctaTupleReply, wireTuple{src: ip("10.0.0.2"), dst: ip("10.0.0.1"), proto: 6, sport: 2, dport: 1})
}

// FuzzParseEntry: no input panics, and what parses is a consistent flow that encodes back to a delete request.
func FuzzParseEntry(f *testing.F) {
	v4 := wireTuple{src: ip("10.0.0.1"), dst: ip("10.0.0.2"), proto: 6, sport: 1, dport: 2}
	v6 := wireTuple{src: ip("fd00::1"), dst: ip("fd00::2"), proto: 58, icmp: icmpKey{set: true, id: 1, typ: 128}}
	f.Add(entry(unix.AF_INET, v4, v4, appendAttr(nil, ctaZone, 0, 5)...))
	f.Add(entry(unix.AF_INET6, v6, v6))
	f.Add(clearNested(entry(unix.AF_INET6, v6, v6)))
	f.Add([]byte{2, 0, 0, 0, 4, 0, 1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := parseEntry(b)
		if err != nil {
			return
		}
		if (fl.Family != 4 && fl.Family != 6) || fl.Src.Is4() != (fl.Family == 4) || fl.ReplyDst.Is4() != (fl.Family == 4) {
			t.Fatalf("inconsistent flow %+v", fl)
		}
		_ = fl.String()
		if _, err := deleteRequest(fl); err != nil && !strings.Contains(err.Error(), "ICMP") {
			t.Fatalf("parsed flow %+v does not encode: %v", fl, err)
		}
	})
}

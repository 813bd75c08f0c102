package conntrack

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// trackAll makes conntrack track every flow in the namespace (new ones are accepted on the way out, and their
// answers as established on the way in) and puts UDP to port 7777 in conntrack zone 7 (before conntrack, at
// priority raw).
const trackAll = `
table inet t {
	chain z { type filter hook output priority raw; udp dport 7777 ct zone set 7; }
	chain o { type filter hook output priority 0; ct state new accept; }
	chain i { type filter hook input priority 0; ct state established accept; }
}
`

// TestFlowsAndDelete lists TCP over IPv4 and IPv6, UDP, ICMP and a flow in another zone from a real table, then
// deletes some of them by the Flows the dump returned.
func TestFlowsAndDelete(t *testing.T) {
	_, path, c := scratchNS(t, trackAll)
	var tcp4, tcp6, udp4, zoned [2]netip.AddrPort // client, server
	inNS(t, path, func() error {
		cl, sv, err := tcpPair(t, "127.0.0.1:0")
		if err != nil {
			return err
		}
		tcp4 = [2]netip.AddrPort{addrPort(cl.LocalAddr()), addrPort(sv.LocalAddr())}
		if cl, sv, err = tcpPair(t, "[::1]:0"); err != nil {
			return err
		}
		tcp6 = [2]netip.AddrPort{addrPort(cl.LocalAddr()), addrPort(sv.LocalAddr())}
		srv, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		closeAtEnd(t, srv)
		u, err := net.Dial("udp", srv.LocalAddr().String())
		if err != nil {
			return err
		}
		closeAtEnd(t, u)
		if _, err := u.Write([]byte("hi")); err != nil {
			return err
		}
		udp4 = [2]netip.AddrPort{addrPort(u.LocalAddr()), addrPort(srv.LocalAddr())}
		// Nobody listens on 7777: the datagram is tracked all the same (and answered by port unreachable).
		z, err := net.Dial("udp", "127.0.0.1:7777")
		if err != nil {
			return err
		}
		closeAtEnd(t, z)
		if _, err := z.Write([]byte("zone")); err != nil {
			return err
		}
		zoned = [2]netip.AddrPort{addrPort(z.LocalAddr()), addrPort(z.RemoteAddr())}
		return ping4(0x1234)
	})

	flows, err := c.Flows()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("table:%s", dumpFlows(flows))
	want := []struct {
		name   string
		family int
		proto  uint8
		ends   [2]netip.AddrPort
	}{
		{"tcp4", 4, unix.IPPROTO_TCP, tcp4},
		{"tcp6", 6, unix.IPPROTO_TCP, tcp6},
		{"udp4", 4, unix.IPPROTO_UDP, udp4},
		{"zoned", 4, unix.IPPROTO_UDP, zoned},
	}
	got := map[string]Flow{}
	for _, w := range want {
		f, ok := find(flows, w.proto, w.ends[0], w.ends[1])
		if !ok {
			t.Fatalf("%s %s -> %s not in the table:%s", w.name, w.ends[0], w.ends[1], dumpFlows(flows))
		}
		// No NAT here: the reply tuple is the original one mirrored.
		if f.Family != w.family || f.ReplySrc != f.Dst || f.ReplyDst != f.Src || f.ReplySrcPort != f.DstPort ||
			f.ReplyDstPort != f.SrcPort {
			t.Errorf("%s: %+v", w.name, f)
		}
		got[w.name] = f
	}
	if got["zoned"].zone != 7 || got["tcp4"].zone != 0 || !strings.HasSuffix(got["zoned"].String(), " zone 7") {
		t.Errorf("zones: %d, %d (%s)", got["zoned"].zone, got["tcp4"].zone, got["zoned"])
	}
	lo := netip.MustParseAddr("127.0.0.1")
	icmp, ok := find(flows, unix.IPPROTO_ICMP, netip.AddrPortFrom(lo, 0), netip.AddrPortFrom(lo, 0))
	if !ok || icmp.Family != 4 || icmp.icmp != (icmpKey{set: true, id: 0x1234, typ: 8}) {
		t.Fatalf("ICMP echo: %+v, %v:%s", icmp, ok, dumpFlows(flows))
	}

	// Delete the IPv4 TCP entry: it goes, the others stay.
	if n, err := c.Delete([]Flow{got["tcp4"]}); err != nil || n != 1 {
		t.Fatalf("Delete(tcp4) = %d, %v", n, err)
	}
	after, err := c.Flows()
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := find(after, unix.IPPROTO_TCP, tcp4[0], tcp4[1]); ok {
		t.Errorf("tcp4 still there after Delete: %s", f)
	}
	for _, name := range []string{"tcp6", "udp4", "zoned"} {
		f := got[name]
		if _, ok := find(after, f.Proto, netip.AddrPortFrom(f.Src, f.SrcPort), netip.AddrPortFrom(f.Dst, f.DstPort)); !ok {
			t.Errorf("%s gone after deleting only tcp4:%s", name, dumpFlows(after))
		}
	}
	// Gone already: not an error, nothing deleted.
	if n, err := c.Delete([]Flow{got["tcp4"]}); err != nil || n != 0 {
		t.Errorf("Delete(tcp4) again = %d, %v", n, err)
	}
	// ICMP (keyed by id/type/code) and the zone-7 entry (found only in its zone) are deleted by the dumped Flow.
	if n, err := c.Delete([]Flow{icmp, got["zoned"]}); err != nil || n != 2 {
		t.Errorf("Delete(icmp, zoned) = %d, %v", n, err)
	}
	// Bad flows are reported, the good ones in the same call deleted all the same.
	handMade := icmp
	handMade.icmp = icmpKey{}
	bad := []Flow{{Family: 5, Proto: 6}, got["tcp6"], handMade, {Family: 4, Proto: 6, Src: lo, Dst: netip.IPv6Loopback()}}
	n, err := c.Delete(bad)
	if n != 1 || err == nil || !strings.Contains(err.Error(), "address family 5") ||
		!strings.Contains(err.Error(), "and 2 more") || !strings.Contains(err.Error(), path) {
		t.Errorf("Delete(bad flows and tcp6) = %d, %v", n, err)
	}
	after, err = c.Flows()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []Flow{got["tcp6"], icmp, got["zoned"]} {
		if _, ok := find(after, f.Proto, netip.AddrPortFrom(f.Src, f.SrcPort), netip.AddrPortFrom(f.Dst, f.DstPort)); ok {
			t.Errorf("%s still there after Delete", f)
		}
	}
	if _, ok := find(after, unix.IPPROTO_UDP, udp4[0], udp4[1]); !ok {
		t.Errorf("udp4 gone, though never deleted:%s", dumpFlows(after))
	}
}

// ping4 sends one ICMP echo request with this id to 127.0.0.1 from a raw socket (the kernel answers it).
func ping4(id uint16) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_ICMP)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	msg := []byte{8, 0, 0, 0, byte(id >> 8), byte(id), 0, 1, 'p', 'i', 'n', 'g'}
	var sum uint32
	for i := 0; i < len(msg); i += 2 {
		sum += uint32(msg[i])<<8 | uint32(msg[i+1])
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	msg[2], msg[3] = byte(^sum>>8), byte(^sum)
	return unix.Sendto(fd, msg, 0, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
}

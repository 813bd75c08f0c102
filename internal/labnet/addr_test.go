package labnet

import (
	"net/netip"
	"slices"
	"testing"
)

func TestAddressing(t *testing.T) {
	for _, c := range []struct{ ip, subnet, gw string }{
		{"10.1.2.3", "10.1.2.0/24", "10.1.2.1"},
		{"10.1.2.254", "10.1.2.0/24", "10.1.2.1"},
		{"fd00:1:2:3::abcd", "fd00:1:2:3::/64", "fd00:1:2:3::1"},
	} {
		s := bridgeSubnet(netip.MustParseAddr(c.ip))
		if s.String() != c.subnet || gateway(s).String() != c.gw {
			t.Errorf("%s: subnet %s gateway %s", c.ip, s, gateway(s))
		}
	}
	if got := lastAddr(netip.MustParsePrefix("10.1.2.0/24")); got.String() != "10.1.2.255" {
		t.Errorf("lastAddr = %s", got)
	}
	for _, ip := range []string{"10.1.2.0", "10.1.2.1", "10.1.2.255", "fd00::", "fd00::1"} {
		if checkBridgeIP(netip.MustParseAddr(ip)) == nil {
			t.Errorf("checkBridgeIP(%s) accepted", ip)
		}
	}
	for _, ip := range []string{"10.1.2.2", "fd00::ffff:ffff:ffff:ffff"} {
		if err := checkBridgeIP(netip.MustParseAddr(ip)); err != nil {
			t.Error(err)
		}
	}
	for _, ip := range []netip.Addr{{}, netip.MustParseAddr("fe80::1%eth0"), netip.MustParseAddr("::ffff:10.0.0.1"),
		netip.MustParseAddr("0.0.0.0"), netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("224.0.0.1"),
		netip.MustParseAddr("255.255.255.255"), nodeIP4, nodeIP6} {
		if checkAddr(ip) == nil {
			t.Errorf("checkAddr(%v) accepted", ip)
		}
	}
}

func TestPortsAndMACs(t *testing.T) {
	got, err := uniquePorts([]Port{{UDP, 53}, {TCP, 80}, {TCP, 8080}, {TCP, 80}, {SCTP, 1}})
	if want := []Port{{SCTP, 1}, {TCP, 80}, {TCP, 8080}, {UDP, 53}}; err != nil || !slices.Equal(got, want) {
		t.Errorf("uniquePorts = %v, %v", got, err)
	}
	if _, err := uniquePorts([]Port{{"tcp", 80}}); err == nil {
		t.Error("lower-case protocol accepted")
	}
	none := func(string) bool { return false }
	if m := podMAC([]netip.Addr{netip.MustParseAddr("fd00::1"), netip.MustParseAddr("10.1.2.3")}, none); m != "0a:58:0a:01:02:03" {
		t.Errorf("podMAC = %s", m)
	}
	v6 := []netip.Addr{netip.MustParseAddr("fd00::1")}
	m1 := podMAC(v6, none)
	if m2 := podMAC(v6, none); m1 != m2 || m1[:6] != "0a:59:" {
		t.Errorf("podMAC of an IPv6-only pod: %s, %s", m1, m2)
	}
	if m3 := podMAC(v6, func(m string) bool { return m == m1 }); m3 == m1 {
		t.Error("podMAC returned a taken MAC")
	}
	for _, c := range []struct {
		cmd, dir string
		want     bool
	}{
		{"etcd\x00--data-dir=/run/l/nftp-lab-abc123/etcd", "/run/l/nftp-lab-abc123", true},
		{"x\x00/run/l/nftp-lab-abc123", "/run/l/nftp-lab-abc123", true},
		{"x\x00/run/l/nftp-lab-abc1234/etcd", "/run/l/nftp-lab-abc123", false},
		{"x\x00/run/l/nftp-lab-abc123.bak", "/run/l/nftp-lab-abc123", false},
		{"x\x00/run/l/nftp-lab-abc1234\x00/run/l/nftp-lab-abc123/y", "/run/l/nftp-lab-abc123", true},
	} {
		if got := mentions([]byte(c.cmd), []byte(c.dir)); got != c.want {
			t.Errorf("mentions(%q) = %v", c.cmd, got)
		}
	}
}

package compiler

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Painting tests: the expectations are written by hand from first-match order. Addresses are documentation and
// private ranges; X = 10.0.0.0/30, A = 10.0.0.1.

func addrs(ss ...string) ir.Peers {
	var p ir.Peers
	for _, s := range ss {
		p.Addrs = append(p.Addrs, netip.MustParseAddr(s))
	}
	return p
}

func block(cidr string, except ...string) ir.Peers {
	b := ir.IPBlock{CIDR: netip.MustParsePrefix(cidr)}
	for _, e := range except {
		b.Except = append(b.Except, netip.MustParsePrefix(e))
	}
	return ir.Peers{Blocks: []ir.IPBlock{b}}
}

func tcp(first, last uint16) ir.Port  { return ir.Port{Protocol: ir.TCP, First: first, Last: last} }
func udp(first, last uint16) ir.Port  { return ir.Port{Protocol: ir.UDP, First: first, Last: last} }
func sctp(first, last uint16) ir.Port { return ir.Port{Protocol: ir.SCTP, First: first, Last: last} }

// rule makes a tier rule; no ports means every port and protocol.
func rule(a ir.Action, peers ir.Peers, ports ...ir.Port) ir.ClusterRule {
	return ir.ClusterRule{Policy: "p", Action: a, Peers: peers, AllPorts: len(ports) == 0, Ports: ports}
}

func TestPaintTier(t *testing.T) {
	for _, c := range []struct {
		name      string
		rules     []ir.ClusterRule
		v6        bool
		want      string
		conflicts string // painting of the pass conflicts, "" for none
	}{{
		name: "overlapping rules of different actions",
		rules: []ir.ClusterRule{
			rule(ir.Accept, block("10.0.0.0/24"), tcp(80, 80)),
			rule(ir.Deny, block("10.0.0.0/16")),
		},
		want: "tcp 0-79: deny 10.0.0.0-10.0.255.255\n" +
			"tcp 80-80: accept 10.0.0.0-10.0.0.255 deny 10.0.1.0-10.0.255.255\n" +
			"tcp 81-65535: deny 10.0.0.0-10.0.255.255\n" +
			"udp 0-65535: deny 10.0.0.0-10.0.255.255\n" +
			"sctp 0-65535: deny 10.0.0.0-10.0.255.255\n" +
			"portless: deny 10.0.0.0-10.0.255.255\n",
	}, {
		name: "a Pass shadows a later Deny",
		rules: []ir.ClusterRule{
			rule(ir.Pass, addrs("10.0.0.1"), tcp(80, 80)),
			rule(ir.Deny, block("10.0.0.0/30"), tcp(80, 81)),
		},
		want: "tcp 80-80: deny 10.0.0.0 10.0.0.2-10.0.0.3 pass 10.0.0.1\n" +
			"tcp 81-81: deny 10.0.0.0-10.0.0.3\n",
	}, {
		name: "a Pass of some ports before a Deny of every port conflicts with the portless Deny",
		rules: []ir.ClusterRule{
			rule(ir.Pass, addrs("10.0.0.1"), tcp(80, 80)),
			rule(ir.Deny, block("10.0.0.0/30")),
		},
		want: "tcp 0-79: deny 10.0.0.0-10.0.0.3\n" +
			"tcp 80-80: deny 10.0.0.0 10.0.0.2-10.0.0.3 pass 10.0.0.1\n" +
			"tcp 81-65535: deny 10.0.0.0-10.0.0.3\n" +
			"udp 0-65535: deny 10.0.0.0-10.0.0.3\n" +
			"sctp 0-65535: deny 10.0.0.0-10.0.0.3\n" +
			"portless: deny 10.0.0.0-10.0.0.3\n",
		conflicts: "tcp 80-80: 10.0.0.1\n",
	}, {
		name: "a Pass of every port does not conflict",
		rules: []ir.ClusterRule{
			rule(ir.Pass, addrs("10.0.0.1")),
			rule(ir.Deny, block("10.0.0.0/30")),
		},
		want: "tcp 0-65535: deny 10.0.0.0 10.0.0.2-10.0.0.3 pass 10.0.0.1\n" +
			"udp 0-65535: deny 10.0.0.0 10.0.0.2-10.0.0.3 pass 10.0.0.1\n" +
			"sctp 0-65535: deny 10.0.0.0 10.0.0.2-10.0.0.3 pass 10.0.0.1\n" +
			"portless: deny 10.0.0.0 10.0.0.2-10.0.0.3 pass 10.0.0.1\n",
	}, {
		name: "a range cut by a single port",
		rules: []ir.ClusterRule{
			rule(ir.Accept, addrs("10.0.0.1"), tcp(1500, 1500)),
			rule(ir.Deny, addrs("10.0.0.1"), tcp(1000, 2000)),
		},
		want: "tcp 1000-1499: deny 10.0.0.1\n" +
			"tcp 1500-1500: accept 10.0.0.1\n" +
			"tcp 1501-2000: deny 10.0.0.1\n",
	}, {
		name: "a later rule is shadowed whole",
		rules: []ir.ClusterRule{
			rule(ir.Deny, addrs("10.0.0.1"), tcp(1000, 2000)),
			rule(ir.Accept, addrs("10.0.0.1"), tcp(1500, 1500)),
		},
		want: "tcp 1000-2000: deny 10.0.0.1\n",
	}, {
		name: "every port before some ports",
		rules: []ir.ClusterRule{
			rule(ir.Accept, addrs("10.0.0.1")),
			rule(ir.Deny, addrs("10.0.0.1"), tcp(80, 80), udp(53, 53)),
		},
		want: "tcp 0-65535: accept 10.0.0.1\n" +
			"udp 0-65535: accept 10.0.0.1\n" +
			"sctp 0-65535: accept 10.0.0.1\n" +
			"portless: accept 10.0.0.1\n",
	}, {
		name: "neighbouring slices with the same painting are joined",
		rules: []ir.ClusterRule{
			rule(ir.Deny, addrs("10.0.0.1"), tcp(80, 80)),
			rule(ir.Deny, addrs("10.0.0.1"), tcp(81, 90), sctp(7, 7)),
			rule(ir.Accept, addrs("10.0.0.2"), tcp(91, 91)),
		},
		want: "tcp 80-90: deny 10.0.0.1\n" +
			"tcp 91-91: accept 10.0.0.2\n" +
			"sctp 7-7: deny 10.0.0.1\n",
	}, {
		name: "address.port pairs paint only their pair",
		rules: []ir.ClusterRule{
			{Policy: "p", Action: ir.Accept, AddrPorts: []ir.AddrPort{
				{Addr: netip.MustParseAddr("10.0.0.2"), Port: tcp(8080, 8080)},
				{Addr: netip.MustParseAddr("fd00::2"), Port: tcp(8080, 8080)},
			}},
			rule(ir.Deny, block("10.0.0.0/30"), tcp(8000, 8999)),
		},
		want: "tcp 8000-8079: deny 10.0.0.0-10.0.0.3\n" +
			"tcp 8080-8080: accept 10.0.0.2 deny 10.0.0.0-10.0.0.1 10.0.0.3\n" +
			"tcp 8081-8999: deny 10.0.0.0-10.0.0.3\n",
	}, {
		name: "Any is the whole family, and an except is carved out",
		rules: []ir.ClusterRule{
			rule(ir.Accept, block("10.0.0.0/8", "10.1.0.0/16"), udp(53, 53)),
			rule(ir.Deny, ir.Peers{Any: true}, udp(53, 53)),
		},
		want: "udp 53-53: accept 10.0.0.0-10.0.255.255 10.2.0.0-10.255.255.255 " +
			"deny 0.0.0.0-9.255.255.255 10.1.0.0-10.1.255.255 11.0.0.0-255.255.255.255\n",
	}, {
		name: "IPv6: only the family's peers",
		rules: []ir.ClusterRule{
			rule(ir.Accept, ir.Peers{Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")}}, tcp(80, 80)),
			rule(ir.Deny, ir.Peers{Any: true}),
		},
		v6: true,
		want: "tcp 0-79: deny ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n" +
			"tcp 80-80: accept fd00::1 deny ::-fd00:: fd00::2-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n" +
			"tcp 81-65535: deny ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n" +
			"udp 0-65535: deny ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n" +
			"sctp 0-65535: deny ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n" +
			"portless: deny ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\n",
	}, {
		name: "a rule with no peers in the family paints nothing",
		rules: []ir.ClusterRule{
			rule(ir.Deny, addrs("fd00::1")),
		},
		want: "",
	}} {
		t.Run(c.name, func(t *testing.T) {
			p := paintTier(c.rules, !c.v6)
			if got := p.String(); got != c.want {
				t.Errorf("painting:\n%s\nwant:\n%s", got, c.want)
			}
			got := ""
			for _, b := range p.shadowed([]ir.Action{ir.Pass}, []ir.Action{ir.Accept, ir.Deny}) {
				got += fmt.Sprintf("%s %d-%d: %s\n", ir.Protocol(b.proto), b.first, b.last, rangeText(b.addrs))
			}
			if got != c.conflicts {
				t.Errorf("conflicts:\n%s\nwant:\n%s", got, c.conflicts)
			}
		})
	}
}

func TestRangeSetOps(t *testing.T) {
	r := func(first, last string) addrRange {
		return addrRange{netip.MustParseAddr(first), netip.MustParseAddr(last)}
	}
	a := []addrRange{r("10.0.0.0", "10.0.0.9"), r("10.0.0.20", "10.0.0.29"), r("10.0.0.40", "255.255.255.255")}
	b := []addrRange{r("10.0.0.5", "10.0.0.24"), r("10.0.0.26", "10.0.0.26"), r("10.0.0.50", "255.255.255.255")}
	text := func(rs []addrRange) string {
		s := ""
		for _, r := range rs {
			s += " " + rangeText(r)
		}
		return s
	}
	if got, want := text(subtractRanges(a, b)), " 10.0.0.0-10.0.0.4 10.0.0.25 10.0.0.27-10.0.0.29 10.0.0.40-10.0.0.49"; got != want {
		t.Errorf("a - b =%s, want%s", got, want)
	}
	if got, want := text(subtractRanges(b, a)), " 10.0.0.10-10.0.0.19"; got != want {
		t.Errorf("b - a =%s, want%s", got, want)
	}
	if got, want := text(intersectRanges(a, b)), " 10.0.0.5-10.0.0.9 10.0.0.20-10.0.0.24 10.0.0.26 10.0.0.50-255.255.255.255"; got != want {
		t.Errorf("a ∩ b =%s, want%s", got, want)
	}
	if got, want := text(unionRanges(a, b)), " 10.0.0.0-10.0.0.29 10.0.0.40-255.255.255.255"; got != want {
		t.Errorf("a ∪ b =%s, want%s", got, want)
	}
}

package nft

import (
	"net/netip"
	"testing"
)

func TestElementText(t *testing.T) {
	concat := &Set{Key: []KeyType{IPv4Addr, InetProto, InetService}, Interval: true}
	m := &Set{Key: []KeyType{IPv6Addr}, Map: true}
	for _, tc := range []struct {
		set  *Set
		e    Element
		want string
	}{
		{&Set{Key: []KeyType{IPv4Addr}}, Element{Addr: addr("10.0.0.1"), AddrLast: addr("10.0.0.1")}, "10.0.0.1"},
		{&Set{Key: []KeyType{IPv4Addr}, Interval: true}, Element{Addr: addr("10.0.0.0"), AddrLast: addr("10.0.255.255")}, "10.0.0.0/16"},
		{&Set{Key: []KeyType{IPv4Addr}, Interval: true}, Element{Addr: addr("10.0.0.5"), AddrLast: addr("10.0.0.9")}, "10.0.0.5-10.0.0.9"},
		{&Set{Key: []KeyType{IPv4Addr}, Interval: true}, Element{Addr: addr("0.0.0.0"), AddrLast: addr("255.255.255.255")}, "0.0.0.0/0"},
		{concat, Element{Addr: addr("10.0.0.0"), AddrLast: addr("10.0.0.255"), Proto: 17, Port: 53, PortLast: 53}, "10.0.0.0/24 . udp . 53"},
		{concat, Element{Addr: addr("10.0.0.1"), AddrLast: addr("10.0.0.1"), Proto: 132, Port: 80, PortLast: 90}, "10.0.0.1 . sctp . 80-90"},
		{m, Element{Addr: addr("fd00::1"), AddrLast: addr("fd00::1"), Verdict: Verdict{Kind: Jump, Chain: "ing-x"}}, "fd00::1 : jump ing-x"},
	} {
		if got := ElementText(tc.set, tc.e); got != tc.want {
			t.Errorf("ElementText = %q, want %q", got, tc.want)
		}
	}
}

func TestRuleText(t *testing.T) {
	for _, tc := range []struct {
		r    Rule
		want string
	}{
		{Rule{Match: CtEstablishedRelated, Verdict: Verdict{Kind: Accept}}, "ct state established,related accept"},
		{Rule{Match: ICMPv6NeighborDiscovery, Verdict: Verdict{Kind: Accept}}, "icmpv6 type 133-137 accept"},
		{Rule{Match: Lookup, Fields: []Field{IP6Daddr, L4Proto, THDport}, Set: "s", Verdict: Verdict{Kind: Return}}, "ip6 daddr . meta l4proto . th dport @s return"},
		{Rule{Match: VerdictMap, Fields: []Field{IPSaddr}, Set: "egress-v4"}, "ip saddr vmap @egress-v4"},
		{Rule{Match: Always, Verdict: Verdict{Kind: Drop}, Comment: "ingress x/p"}, `drop comment "ingress x/p"`},
		{Rule{Match: PktTypeBroadcast, Verdict: Verdict{Kind: Drop}}, "meta pkttype broadcast drop"},
		{Rule{Match: PktTypeMulticast, Verdict: Verdict{Kind: Drop}}, "meta pkttype multicast drop"},
		{Rule{Match: IP6LinkLocal, Fields: []Field{IP6Daddr}, Verdict: Verdict{Kind: Drop}}, "ip6 daddr fe80::/10 drop"},
		{Rule{Match: Lookup, Fields: []Field{IPSaddr, IPDaddr}, Set: "self-v4", Verdict: Verdict{Kind: Accept}}, "ip saddr . ip daddr @self-v4 accept"},
		{Rule{Match: CtNewTCPNotSYN, Verdict: Verdict{Kind: Drop}}, "ct state new tcp flags != syn / fin,syn,rst,ack drop"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("rule = %q, want %q", got, tc.want)
		}
	}
}

func TestLastAddr(t *testing.T) {
	for p, want := range map[string]string{"10.0.0.0/8": "10.255.255.255", "fd00::/64": "fd00::ffff:ffff:ffff:ffff", "1.2.3.4/32": "1.2.3.4"} {
		if got := LastAddr(netip.MustParsePrefix(p)); got != addr(want) {
			t.Errorf("LastAddr(%s) = %s, want %s", p, got, want)
		}
	}
}

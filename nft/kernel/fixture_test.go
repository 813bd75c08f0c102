package kernel

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/nft"
)

const (
	tcp  = 6
	udp  = 17
	sctp = 132
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func exact(a string) nft.Element { return nft.Element{Addr: addr(a), AddrLast: addr(a)} }

func span(first, last string) nft.Element {
	return nft.Element{Addr: addr(first), AddrLast: addr(last)}
}

func addrPort(a string, proto uint8, port uint16) nft.Element {
	return nft.Element{Addr: addr(a), AddrLast: addr(a), Proto: proto, Port: port, PortLast: port}
}

func spanPorts(first, last string, proto uint8, p1, p2 uint16) nft.Element {
	return nft.Element{Addr: addr(first), AddrLast: addr(last), Proto: proto, Port: p1, PortLast: p2}
}

func protoPort(proto uint8, port uint16) nft.Element {
	return nft.Element{Proto: proto, Port: port, PortLast: port}
}

func toVerdict(a string, v nft.Verdict) nft.Element {
	e := exact(a)
	e.Verdict = v
	return e
}

func jump(c string) nft.Verdict { return nft.Verdict{Kind: nft.Jump, Chain: c} }
func goTo(c string) nft.Verdict { return nft.Verdict{Kind: nft.Goto, Chain: c} }

var (
	accept = nft.Verdict{Kind: nft.Accept}
	drop   = nft.Verdict{Kind: nft.Drop}
	ret    = nft.Verdict{Kind: nft.Return}
	v4     = []nft.KeyType{nft.IPv4Addr}
	v6     = []nft.KeyType{nft.IPv6Addr}
	ap4    = []nft.KeyType{nft.IPv4Addr, nft.InetProto, nft.InetService}
	ap6    = []nft.KeyType{nft.IPv6Addr, nft.InetProto, nft.InetService}
)

func lookup(set string, v nft.Verdict, fields ...nft.Field) nft.Rule {
	return nft.Rule{Match: nft.Lookup, Fields: fields, Set: set, Verdict: v}
}

func vmap(set string, fields ...nft.Field) nft.Rule {
	return nft.Rule{Match: nft.VerdictMap, Fields: fields, Set: set}
}

func always(v nft.Verdict) nft.Rule { return nft.Rule{Match: nft.Always, Verdict: v} }

func counted(r nft.Rule) nft.Rule {
	r.Counter = true
	return r
}

func withComment(r nft.Rule, c string) nft.Rule {
	r.Comment = c
	return r
}

// fixture is a table with every rule kind and every set kind the model has.
func fixture() *nft.Table {
	t := &nft.Table{
		Sets: []*nft.Set{
			{Name: "h4", Key: v4, Elements: []nft.Element{exact("10.1.0.1"), exact("10.1.0.2"), exact("192.168.7.9")}},
			{Name: "h6", Key: v6, Elements: []nft.Element{exact("fd00::1"), exact("fd00::2"), exact("2001:db8::abcd")}},
			{Name: "n4", Key: v4, Interval: true, Elements: []nft.Element{
				span("10.0.0.0", "10.0.255.255"), span("11.1.0.5", "11.1.0.9"), exact("12.0.0.1"),
				span("172.16.0.0", "172.31.255.255"), span("255.255.255.0", "255.255.255.255"),
			}},
			{Name: "n6", Key: v6, Interval: true, Elements: []nft.Element{
				span("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"), span("2001:db9::5", "2001:db9::9"),
				exact("fd00::1"), span("ffff:ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			}},
			{Name: "ap4", Key: ap4, Elements: []nft.Element{
				addrPort("10.1.0.1", tcp, 80), addrPort("10.1.0.1", udp, 53), addrPort("10.1.0.2", sctp, 9000),
			}},
			{Name: "ap6", Key: ap6, Elements: []nft.Element{addrPort("fd00::1", tcp, 443), addrPort("fd00::2", udp, 53)}},
			{Name: "np4", Key: ap4, Interval: true, Elements: []nft.Element{
				spanPorts("10.0.0.0", "10.0.0.255", tcp, 80, 90), spanPorts("0.0.0.0", "255.255.255.255", udp, 53, 53),
				spanPorts("11.0.0.1", "11.0.0.1", tcp, 1, 65535), spanPorts("11.0.0.7", "11.0.0.9", sctp, 100, 200),
			}},
			{Name: "np6", Key: ap6, Interval: true, Elements: []nft.Element{
				spanPorts("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", tcp, 8080, 8090),
				spanPorts("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", tcp, 443, 443),
			}},
			{Name: "pp", Key: []nft.KeyType{nft.InetProto, nft.InetService}, Elements: []nft.Element{
				protoPort(tcp, 80), protoPort(udp, 53),
			}},
			{Name: "c4", Key: v4, Elements: []nft.Element{exact("10.3.0.1")}},
			{Name: "m4", Key: v4, Map: true, Elements: []nft.Element{
				toVerdict("10.1.0.1", jump("pod-a")), toVerdict("10.1.0.2", goTo("pod-b")),
				toVerdict("10.1.0.3", accept), toVerdict("10.1.0.4", drop), toVerdict("10.1.0.5", jump("pod-c")),
			}},
			{Name: "m6", Key: v6, Map: true, Elements: []nft.Element{
				toVerdict("fd00::1", jump("pod-a")), toVerdict("fd00::2", jump("pod-b")),
			}},
			{Name: "mn4", Key: v4, Map: true, Interval: true, Elements: []nft.Element{
				{Addr: addr("10.2.0.0"), AddrLast: addr("10.2.255.255"), Verdict: jump("pod-a")},
				{Addr: addr("10.3.0.0"), AddrLast: addr("10.3.0.9"), Verdict: drop},
			}},
		},
		Chains: []*nft.Chain{
			{Name: "forward", Hook: &nft.Hook{Name: "forward"}, Rules: []nft.Rule{
				{Match: nft.CtEstablishedRelated, Verdict: accept},
				{Match: nft.CtNewTCPNotSYN, Verdict: drop},
				{Match: nft.ICMPv6NeighborDiscovery, Verdict: accept},
				vmap("m4", nft.IPDaddr),
				withComment(vmap("m6", nft.IP6Daddr), "dispatch v6"),
				vmap("mn4", nft.IPSaddr),
				always(accept),
			}},
			{Name: "input", Hook: &nft.Hook{Name: "input", Priority: 5}, Rules: []nft.Rule{
				lookup("h4", jump("pod-a"), nft.IPSaddr),
				always(accept),
			}},
			{Name: "output", Hook: &nft.Hook{Name: "output", Priority: -5}, Rules: []nft.Rule{
				withComment(counted(nft.Rule{Match: nft.CtNewTCPNotSYN, Verdict: drop}), "mid-stream"),
				withComment(always(accept), "out"),
			}},
			{Name: "pod-a", Rules: []nft.Rule{
				withComment(lookup("h4", accept, nft.IPSaddr), "ns-a/allow-web"),
				lookup("n4", accept, nft.IPSaddr),
				lookup("ap4", accept, nft.IPSaddr, nft.L4Proto, nft.THDport),
				lookup("np4", accept, nft.IPSaddr, nft.L4Proto, nft.THDport),
				lookup("h6", accept, nft.IP6Saddr),
				lookup("n6", accept, nft.IP6Saddr),
				lookup("ap6", accept, nft.IP6Saddr, nft.L4Proto, nft.THDport),
				lookup("np6", accept, nft.IP6Saddr, nft.L4Proto, nft.THDport),
				lookup("pp", accept, nft.L4Proto, nft.THDport),
				withComment(always(drop), strings.Repeat("x", 127)),
			}},
			{Name: "pod-b", Rules: []nft.Rule{
				lookup("n4", ret, nft.IPDaddr),
				lookup("ap6", ret, nft.IP6Daddr, nft.L4Proto, nft.THDport),
				always(goTo("pod-a")),
			}},
			{Name: "pod-c", Rules: []nft.Rule{
				counted(lookup("c4", accept, nft.IPSaddr)),
				{Match: nft.Always, Log: &nft.Log{Group: 100, Prefix: "pod-c", Rate: 10, Burst: 5}},
				{Match: nft.Always, Log: &nft.Log{Group: 65535, Prefix: strings.Repeat("p", nft.MaxLogPrefix)}},
				counted(lookup("n4", accept, nft.IPSaddr)),
				{Match: nft.Always, Log: &nft.Log{Group: 7, Prefix: "audit:pod-c", Rate: 1, Burst: 1}, Counter: true,
					Verdict: accept},
				counted(always(drop)),
			}},
		},
	}
	return canonical(t)
}

// canonical sorts sets, chains and elements as the model wants them.
func canonical(t *nft.Table) *nft.Table {
	slices.SortFunc(t.Sets, func(a, b *nft.Set) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(t.Chains, func(a, b *nft.Chain) int { return strings.Compare(a.Name, b.Name) })
	for _, s := range t.Sets {
		nft.SortElements(s.Elements)
	}
	return t
}

func findSet(t *nft.Table, name string) *nft.Set {
	for _, s := range t.Sets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func findChain(t *nft.Table, name string) *nft.Chain {
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// mustEqual fails unless the kernel's table reads back as want.
func mustEqual(t *testing.T, got, want *nft.Table) {
	t.Helper()
	if p := nft.Diff(got, want); !p.Empty() {
		t.Fatalf("kernel differs from the desired table: plan %+v\n--- kernel\n%s\n--- want\n%s", p, text(got), text(want))
	}
	if g, w := text(got), text(want); g != w {
		t.Fatalf("kernel text differs:\n--- kernel\n%s\n--- want\n%s", g, w)
	}
}

func text(t *nft.Table) string {
	if t == nil {
		return "<no table>"
	}
	return t.Text()
}

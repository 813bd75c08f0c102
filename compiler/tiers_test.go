package compiler_test

import (
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// Tier tests: random groups with Admin rules, NetworkPolicy rules or Baseline rules are compiled, and every
// packet of a small universe is run through the compiled chains (interp_test.go). The expected outcome comes
// from a plain scan of the IR in the order the API prescribes — the test's oracle, written without painting.
//
// Universe: 10.0.0.0-10.0.0.15 and fd00::-fd00::f are the peers rules name (addresses, /28../32 and
// /124../128 blocks with excepts, Any); 192.168.0.1 and 2001:db8::1 are only reached by Any. Protocols TCP, UDP,
// SCTP, ICMP (1) and ICMPv6 (58); ports 0-14 and 65535.

var (
	tierProtos = []uint8{6, 17, 132, 1, 58}
	tierPorts  = append(seq(0, 14), 65535)
)

func seq(first, last uint16) []uint16 {
	var out []uint16
	for p := first; p <= last; p++ {
		out = append(out, p)
	}
	return out
}

func universe() []netip.Addr {
	var out []netip.Addr
	for i := range 16 {
		out = append(out, netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}))
		out = append(out, netip.AddrFrom16([16]byte{0xfd, 0, 14: 0, 15: byte(i)}))
	}
	return append(out, netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("2001:db8::1"))
}

// --- the oracle ---

func peersHave(ps ir.Peers, a netip.Addr) bool {
	if ps.Any || slices.Contains(ps.Addrs, a) {
		return true
	}
	for _, b := range ps.Blocks {
		if b.CIDR.Contains(a) && !slices.ContainsFunc(b.Except, func(e netip.Prefix) bool { return e.Contains(a) }) {
			return true
		}
	}
	return false
}

func portsHave(ports []ir.Port, p packet) bool {
	return slices.ContainsFunc(ports, func(pt ir.Port) bool {
		return uint8(pt.Protocol) == p.proto && pt.First <= p.port && p.port <= pt.Last
	})
}

func addrPortsHave(aps []ir.AddrPort, p packet) bool {
	return slices.ContainsFunc(aps, func(ap ir.AddrPort) bool {
		return ap.Addr == p.peer && portsHave([]ir.Port{ap.Port}, p)
	})
}

func clusterRuleMatches(r *ir.ClusterRule, p packet) bool {
	return (peersHave(r.Peers, p.peer) && (r.AllPorts || portsHave(r.Ports, p))) || addrPortsHave(r.AddrPorts, p)
}

// firstMatch scans a tier in order: the action of the first matching rule, and whether one matched.
func firstMatch(rules []ir.ClusterRule, p packet) (ir.Action, bool) {
	for i := range rules {
		if clusterRuleMatches(&rules[i], p) {
			return rules[i].Action, true
		}
	}
	return 0, false
}

// expected says whether the group's direction allows p, and which part of the ruleset must decide a denial
// ("admin", "baseline", "np"; "" when allowed).
func expected(g *ir.Group, p packet) (bool, string) {
	if a, ok := firstMatch(g.Admin, p); ok && a != ir.Pass {
		if a == ir.Deny {
			return false, "admin"
		}
		return true, ""
	}
	if g.Isolated() {
		for _, r := range g.Rules {
			if (peersHave(r.Peers, p.peer) && (r.AllPorts || portsHave(r.Ports, p))) || addrPortsHave(r.AddrPorts, p) {
				return true, ""
			}
		}
		return false, "np"
	}
	if a, ok := firstMatch(g.Baseline, p); ok && a == ir.Deny {
		return false, "baseline"
	}
	return true, ""
}

// --- random groups ---

type gen struct {
	r    *mrand.Rand
	univ []netip.Addr
}

func (g *gen) addr() netip.Addr { return g.univ[g.r.IntN(32)] }

func (g *gen) peers() ir.Peers {
	var ps ir.Peers
	switch g.r.IntN(10) {
	case 0:
		ps.Any = true
	case 1, 2, 3:
		for range 1 + g.r.IntN(3) {
			ps.Addrs = append(ps.Addrs, g.addr())
		}
	default:
		a := g.addr()
		bits := a.BitLen() - g.r.IntN(5)
		b := ir.IPBlock{CIDR: netip.PrefixFrom(a, bits).Masked()}
		if g.r.IntN(3) == 0 && bits < a.BitLen() {
			b.Except = []netip.Prefix{netip.PrefixFrom(a, bits+1+g.r.IntN(a.BitLen()-bits)).Masked()}
		}
		ps.Blocks = append(ps.Blocks, b)
		if g.r.IntN(3) == 0 {
			ps.Addrs = append(ps.Addrs, g.addr())
		}
	}
	slices.SortFunc(ps.Addrs, netip.Addr.Compare)
	ps.Addrs = slices.Compact(ps.Addrs)
	return ps
}

func (g *gen) port() ir.Port {
	proto := []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP}[g.r.IntN(3)]
	switch g.r.IntN(8) {
	case 0:
		return ir.Port{Protocol: proto, First: 0, Last: 65535}
	case 1:
		return ir.Port{Protocol: proto, First: 14, Last: 65535}
	}
	first := uint16(g.r.IntN(14))
	return ir.Port{Protocol: proto, First: first, Last: first + uint16(g.r.IntN(4))}
}

// ports fills the ports of a rule: every port, or a few ranges, and sometimes address.port pairs.
func (g *gen) ports() (all bool, ports []ir.Port, aps []ir.AddrPort) {
	if g.r.IntN(3) == 0 {
		all = true
	} else {
		for range 1 + g.r.IntN(3) {
			ports = append(ports, g.port())
		}
	}
	if g.r.IntN(5) == 0 {
		for range 1 + g.r.IntN(2) {
			aps = append(aps, ir.AddrPort{Addr: g.addr(), Port: g.port()})
		}
	}
	return all, ports, aps
}

func (g *gen) tier(name string, n int) []ir.ClusterRule {
	var out []ir.ClusterRule
	for i := range n {
		r := ir.ClusterRule{Policy: fmt.Sprintf("%s-%d", name, i/2), Index: i, Action: ir.Action(g.r.IntN(3)), Peers: g.peers()}
		r.AllPorts, r.Ports, r.AddrPorts = g.ports()
		out = append(out, r)
	}
	return out
}

func (g *gen) group(i int) *ir.Group {
	grp := &ir.Group{
		Direction: ir.Direction(g.r.IntN(2)),
		Key:       fmt.Sprint("random|", i),
		Members:   []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.244.0.10")}}},
		Admin:     g.tier("admin", g.r.IntN(5)),
	}
	if g.r.IntN(3) == 0 {
		grp.Policies = []ir.PolicyRef{{Namespace: "x", Name: "np"}}
		for range g.r.IntN(3) {
			r := ir.Rule{Policy: grp.Policies[0], Peers: g.peers()}
			r.AllPorts, r.Ports, r.AddrPorts = g.ports()
			grp.Rules = append(grp.Rules, r)
		}
	} else {
		grp.Baseline = g.tier("baseline", g.r.IntN(5))
	}
	if len(grp.Admin) == 0 && len(grp.Baseline) == 0 {
		grp.Admin = g.tier("admin", 1)
	}
	return grp
}

// --- the tests ---

// TestPaintingAgreesWithFirstMatch: for random tiers and every point of the universe, the painting holds the
// point in exactly one region, of the first matching rule's action (Pass included), or in none when no rule
// matches.
func TestPaintingAgreesWithFirstMatch(t *testing.T) {
	g := &gen{r: mrand.New(mrand.NewPCG(11, 0x7061696e74)), univ: universe()}
	for i := range 500 {
		rules := g.tier("p", 1+g.r.IntN(6))
		painted := compiler.PaintedActions(rules)
		for _, a := range universe() {
			for _, proto := range tierProtos {
				for _, port := range tierPorts {
					p := packet{a, proto, port}
					got := painted(a, proto, port)
					want, ok := firstMatch(rules, p)
					if (ok && (len(got) != 1 || got[0] != want)) || (!ok && len(got) != 0) {
						t.Fatalf("tier %d, %s: painted %v, first match %v (matched %v)\n%s", i, p, got, want, ok,
							describeGroup(&ir.Group{Admin: rules}))
					}
				}
			}
		}
	}
}

// TestTiersAgreeWithFirstMatch: for random groups and every packet of the universe, the compiled chains
// allow what the oracle allows, and a denial comes from the part of the ruleset of the deciding tier. Run with
// the default options, without counters and log, and with the agent's --audit (which lets every packet
// through, from the same place).
func TestTiersAgreeWithFirstMatch(t *testing.T) {
	quiet := compiler.Options{}
	audit := compiler.DefaultOptions
	audit.Audit = true
	g := &gen{r: mrand.New(mrand.NewPCG(9, 0x746965727321)), univ: universe()}
	for i := range 300 {
		grp := g.group(i)
		for _, o := range []compiler.Options{compiler.DefaultOptions, quiet, audit} {
			tab := compiler.CompileWith(&ir.Node{Groups: []ir.Group{*grp}}, o)
			checkShape(t, tab)
			checkGroupChains(t, grp, tab, o)
			if t.Failed() {
				t.Fatalf("group %d (options %+v):\n%s\n%s", i, o, describeGroup(grp), tab.Text())
			}
		}
	}
}

// checkGroupChains runs every packet of the universe through the group's chain and compares with the oracle.
func checkGroupChains(t *testing.T, grp *ir.Group, tab *nft.Table, o compiler.Options) {
	t.Helper()
	in := newInterp(tab)
	name := compiler.GroupChainName(grp)
	chainOf := map[string]string{
		compiler.TierDenyChainName(grp, ir.Admin):    "admin",
		compiler.TierDenyChainName(grp, ir.Baseline): "baseline",
		name:                             "np",
		compiler.AdminPassChainName(grp): "np",
	}
	allow := nft.Accept
	if grp.Direction == ir.Egress {
		allow = nft.Return
	}
	for _, a := range universe() {
		for _, proto := range tierProtos {
			for _, port := range tierPorts {
				p := packet{a, proto, port}
				got, err := in.run(name, p)
				if err != nil {
					t.Fatal(err)
				}
				want, by := expected(grp, p)
				switch {
				case want && got.verdict != allow:
					t.Errorf("%s: want allowed, got %s", p, got)
				case !want && o.Audit && (got.verdict != allow || chainOf[got.chain] != by):
					t.Errorf("%s: want audited by %s, got %s", p, by, got)
				case !want && !o.Audit && (got.verdict != nft.Drop || chainOf[got.chain] != by):
					t.Errorf("%s: want dropped by %s, got %s", p, by, got)
				}
				if t.Failed() {
					return
				}
			}
		}
	}
}

// TestTierSetsDisjoint checks the painting's contract on the sets of every tier: a packet is in at most one
// ported and at most one portless set of a tier, and a TCP, UDP or SCTP packet in none of its ported sets (Pass
// conflicts included) is in none of its portless sets either — so the portless lookups never decide a packet
// the ported space passed.
func TestTierSetsDisjoint(t *testing.T) {
	g := &gen{r: mrand.New(mrand.NewPCG(10, 0x646973)), univ: universe()}
	for i := range 300 {
		grp := g.group(i)
		tab := compiler.Compile(&ir.Node{Groups: []ir.Group{*grp}})
		for _, tier := range []string{"-adm-", "-bas-"} {
			var ported, portless []*nft.Set
			for _, s := range tab.Sets {
				switch {
				case !strings.Contains(s.Name, tier):
				case len(s.Key) == 3:
					ported = append(ported, s)
				default:
					portless = append(portless, s)
				}
			}
			for _, a := range universe() {
				for _, proto := range tierProtos {
					for _, port := range tierPorts {
						p := packet{a, proto, port}
						inPorted, inPortless := setsHolding(ported, p, true), setsHolding(portless, p, false)
						if len(inPorted) > 1 || len(inPortless) > 1 {
							t.Fatalf("group %d: %s is in %v and %v\n%s\n%s", i, p, inPorted, inPortless, describeGroup(grp), tab.Text())
						}
						if len(inPorted) == 0 && len(inPortless) > 0 && (proto == 6 || proto == 17 || proto == 132) {
							t.Fatalf("group %d: %s misses the ported sets but is in %v\n%s\n%s", i, p, inPortless, describeGroup(grp), tab.Text())
						}
					}
				}
			}
		}
	}
}

// setsHolding names the sets of the packet's family that hold it.
func setsHolding(sets []*nft.Set, p packet, ported bool) []string {
	var out []string
	for _, s := range sets {
		if (s.Key[0] == nft.IPv4Addr) != p.peer.Is4() {
			continue
		}
		for _, e := range s.Elements {
			if e.Addr.Compare(p.peer) <= 0 && p.peer.Compare(e.AddrLast) <= 0 &&
				(!ported || (e.Proto == p.proto && e.Port <= p.port && p.port <= e.PortLast)) {
				out = append(out, s.Name)
				break
			}
		}
	}
	return out
}

func describeGroup(g *ir.Group) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s isolated=%v\n", g.Direction, g.Isolated())
	for _, tier := range []struct {
		name  string
		rules []ir.ClusterRule
	}{{"admin", g.Admin}, {"baseline", g.Baseline}} {
		for _, r := range tier.rules {
			fmt.Fprintf(&b, "  %s %s %+v all=%v ports=%v addrports=%v\n", tier.name, r.Action, r.Peers, r.AllPorts, r.Ports, r.AddrPorts)
		}
	}
	for _, r := range g.Rules {
		fmt.Fprintf(&b, "  np %+v all=%v ports=%v addrports=%v\n", r.Peers, r.AllPorts, r.Ports, r.AddrPorts)
	}
	return b.String()
}

// TestTierCommentsFit: ClusterNetworkPolicy names are up to 253 bytes; the comments of the deny chains and of the
// default allow name as many as fit in the kernel's 127 bytes, then "+N more", and the first cut with "…" when
// none fits.
func TestTierCommentsFit(t *testing.T) {
	long := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	deny := func(policy string) ir.ClusterRule {
		return ir.ClusterRule{Policy: policy, Action: ir.Deny, Peers: ir.Peers{Any: true}, AllPorts: true}
	}
	grp := ir.Group{Direction: ir.Ingress, Key: "long",
		Members: []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.244.0.10")}}},
		Admin:   []ir.ClusterRule{deny(long('a', 253)), deny("short"), deny(long('b', 60)), deny(long('c', 60))},
	}
	tab := compiler.Compile(&ir.Node{Groups: []ir.Group{grp}})
	checkShape(t, tab)
	comments := map[string]string{}
	for _, ch := range tab.Chains {
		if n := len(ch.Rules); n > 0 {
			comments[ch.Name] = ch.Rules[n-1].Comment
		}
	}
	want := "ingress Admin deny short " + long('b', 60) + " +2 more"
	if got := comments[compiler.TierDenyChainName(&grp, ir.Admin)]; got != want {
		t.Errorf("deny chain comment %q (%d bytes), want %q", got, len(got), want)
	}
	grp.Admin = grp.Admin[:1]
	tab = compiler.Compile(&ir.Node{Groups: []ir.Group{grp}})
	checkShape(t, tab)
	for _, ch := range tab.Chains {
		if c := ch.Rules[len(ch.Rules)-1].Comment; ch.Hook == nil && !strings.HasSuffix(c, "…") {
			t.Errorf("chain %s: comment %q should end in the first name cut with …", ch.Name, c)
		}
	}
}

package nft

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func exact(ips ...string) []Element {
	var es []Element
	for _, ip := range ips {
		es = append(es, Element{Addr: addr(ip), AddrLast: addr(ip)})
	}
	SortElements(es)
	return es
}

func table(peers []Element, rules ...Rule) *Table {
	return &Table{
		Sets:   []*Set{{Name: "ing-1-v4-a", Key: []KeyType{IPv4Addr}, Elements: peers}},
		Chains: []*Chain{{Name: "ing-1", Rules: rules}},
	}
}

var (
	lookup = Rule{Match: Lookup, Fields: []Field{IPSaddr}, Set: "ing-1-v4-a", Verdict: Verdict{Kind: Accept}}
	drop   = Rule{Match: Always, Verdict: Verdict{Kind: Drop}}
)

func TestDiffFromNothing(t *testing.T) {
	want := table(exact("10.0.0.1"), lookup, drop)
	p := Diff(nil, want)
	if !p.CreateTable || len(p.AddChains) != 1 || len(p.AddSets) != 1 || len(p.WriteChains) != 1 {
		t.Fatalf("plan from nothing: %+v", p)
	}
}

func TestDiffUnchangedIsEmpty(t *testing.T) {
	a := table(exact("10.0.0.1", "10.0.0.2"), lookup, drop)
	b := table(exact("10.0.0.1", "10.0.0.2"), lookup, drop)
	if p := Diff(a, b); !p.Empty() {
		t.Fatalf("plan between equal tables: %+v", p)
	}
}

func TestDiffElementsOnly(t *testing.T) {
	a := table(exact("10.0.0.1", "10.0.0.2"), lookup, drop)
	b := table(exact("10.0.0.2", "10.0.0.3"), lookup, drop)
	p := Diff(a, b)
	if len(p.WriteChains) != 0 || len(p.AddSets) != 0 || len(p.DelSets) != 0 {
		t.Fatalf("an element change touched chains or sets: %+v", p)
	}
	if got := p.DelElements["ing-1-v4-a"]; !slices.Equal(got, exact("10.0.0.1")) {
		t.Errorf("deleted %v", got)
	}
	if got := p.AddElements["ing-1-v4-a"]; !slices.Equal(got, exact("10.0.0.3")) {
		t.Errorf("added %v", got)
	}
}

func TestDiffChainRewriteAndRemoval(t *testing.T) {
	a := table(exact("10.0.0.1"), lookup, drop)
	b := table(exact("10.0.0.1"), drop)
	if p := Diff(a, b); len(p.WriteChains) != 1 || p.WriteChains[0].Name != "ing-1" {
		t.Fatalf("changed rules not rewritten: %+v", p)
	}
	p := Diff(a, &Table{})
	if !slices.Equal(p.DelChains, []string{"ing-1"}) || !slices.Equal(p.FlushChains, []string{"ing-1"}) ||
		!slices.Equal(p.DelSets, []string{"ing-1-v4-a"}) {
		t.Fatalf("removal plan: %+v", p)
	}
}

func TestDiffMapVerdictChange(t *testing.T) {
	m := func(chain string) *Table {
		return &Table{Sets: []*Set{{Name: "ingress-v4", Key: []KeyType{IPv4Addr}, Map: true, Elements: []Element{
			{Addr: addr("10.0.0.1"), AddrLast: addr("10.0.0.1"), Verdict: Verdict{Kind: Jump, Chain: chain}},
		}}}}
	}
	p := Diff(m("ing-1"), m("ing-2"))
	if len(p.DelElements["ingress-v4"]) != 1 || len(p.AddElements["ingress-v4"]) != 1 {
		t.Fatalf("a changed verdict must be a delete and an add: %+v", p)
	}
}

// The merge walk and the hash-map fallback agree on random inputs.
func TestDiffElementsSortedMatchesUnsorted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	gen := func() []Element {
		var es []Element
		seen := map[Element]bool{}
		for i := 0; i < 200; i++ {
			a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(2)), byte(r.IntN(100))})
			e := Element{Addr: a, AddrLast: a, Proto: 6, Port: uint16(80 + r.IntN(3)), PortLast: 0}
			e.PortLast = e.Port
			if !seen[e] {
				seen[e] = true
				es = append(es, e)
			}
		}
		return es
	}
	for round := 0; round < 50; round++ {
		old, want := gen(), gen()
		ud, ua := diffElementsUnsorted(old, want)
		SortElements(old)
		SortElements(want)
		sd, sa := diffElements(old, want)
		SortElements(ud)
		SortElements(ua)
		if !slices.Equal(sd, ud) || !slices.Equal(sa, ua) {
			t.Fatalf("round %d: merge walk and map disagree", round)
		}
	}
}

func BenchmarkDiffOneElementOf100k(b *testing.B) {
	var es []Element
	for i := 0; i < 100000; i++ {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		es = append(es, Element{Addr: a, AddrLast: a})
	}
	old := &Table{Sets: []*Set{{Name: "s", Key: []KeyType{IPv4Addr}, Elements: es}}}
	changed := slices.Clone(es)
	changed[50000].Addr, changed[50000].AddrLast = addr("11.0.0.1"), addr("11.0.0.1")
	SortElements(changed)
	want := &Table{Sets: []*Set{{Name: "s", Key: []KeyType{IPv4Addr}, Elements: changed}}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if p := Diff(old, want); len(p.AddElements["s"]) != 1 {
			b.Fatal("wrong plan")
		}
	}
}

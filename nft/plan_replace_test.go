package nft

import (
	"net/netip"
	"testing"
)

// A set whose key changes is replaced; the chains whose rules use it are rewritten even though their rules did
// not change, because the kernel keeps rules bound to the old set.
func TestDiffRewritesUsersOfReplacedSet(t *testing.T) {
	a := netip.MustParseAddr("10.0.0.1")
	rule := Rule{Match: Lookup, Fields: []Field{IPSaddr}, Set: "s", Verdict: Verdict{Kind: Accept}}
	table := func(interval bool) *Table {
		return &Table{
			Sets: []*Set{{Name: "s", Key: []KeyType{IPv4Addr}, Interval: interval, Elements: []Element{{Addr: a, AddrLast: a}}}},
			Chains: []*Chain{
				{Name: "other", Rules: []Rule{{Match: Always, Verdict: Verdict{Kind: Drop}}}},
				{Name: "user", Rules: []Rule{rule}},
			},
		}
	}
	p := Diff(table(false), table(true))
	if len(p.DelSets) != 1 || len(p.AddSets) != 1 {
		t.Fatalf("set not replaced: %+v", p)
	}
	if len(p.WriteChains) != 1 || p.WriteChains[0].Name != "user" {
		t.Fatalf("WriteChains = %v, want [user]", p.WriteChains)
	}
	if p := Diff(table(false), table(false)); !p.Empty() {
		t.Fatalf("unchanged table: %+v", p)
	}
}

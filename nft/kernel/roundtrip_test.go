package kernel

import (
	"cmp"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/nft"
)

// TestRoundTrip programs every rule and set kind through netlink and reads it back, and checks that nft itself
// lists the same elements as the model's text.
func TestRoundTrip(t *testing.T) {
	c, ns := openNetns(t)
	want := fixture()
	p, err := c.Sync(want)
	if err != nil {
		t.Fatal(err)
	}
	if !p.CreateTable || len(p.AddSets) != len(want.Sets) || len(p.AddChains) != len(want.Chains) {
		t.Fatalf("first sync should create everything, got %+v", p)
	}
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)

	listed := setElements(nftIn(t, ns, "", "list", "table", "inet", nft.TableName))
	rendered := setElements(want.Text())
	if len(rendered) != len(want.Sets) {
		t.Fatalf("parsed %d sets out of the model's text, want %d", len(rendered), len(want.Sets))
	}
	for name, elems := range rendered {
		if !slices.Equal(listed[name], elems) {
			t.Errorf("set %s: nft lists\n  %q\nthe model renders\n  %q", name, listed[name], elems)
		}
	}

	// Nothing changed: the next sync is empty, against memory and against the kernel.
	if p, err := c.Sync(want); err != nil || !p.Empty() {
		t.Fatalf("second sync: plan %+v, err %v", p, err)
	}
}

// TestAdoptTextLoadedTable loads the model's text with nft -f (what `render` produces) and reads it back as the
// same table, so the agent adopts it without rewriting anything.
func TestAdoptTextLoadedTable(t *testing.T) {
	c, ns := openNetns(t)
	want := fixture()
	nftIn(t, ns, want.Text(), "-f", "-")
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)
	if p, err := c.Sync(want); err != nil || !p.Empty() {
		t.Fatalf("sync after adopting: plan %+v, err %v", p, err)
	}
}

var (
	blockRE    = regexp.MustCompile(`(?s)\b(?:set|map) (\S+) \{(.*?)\n\t\}`)
	elementsRE = regexp.MustCompile(`(?s)elements = \{(.*?)\}`)
)

// setElements extracts each set's elements from nft text (ours or `nft list`), sorted.
func setElements(text string) map[string][]string {
	out := map[string][]string{}
	for _, m := range blockRE.FindAllStringSubmatch(text, -1) {
		var elems []string
		if em := elementsRE.FindStringSubmatch(m[2]); em != nil {
			for _, e := range strings.Split(em[1], ",") {
				if e = strings.Join(strings.Fields(e), " "); e != "" {
					elems = append(elems, e)
				}
			}
		}
		slices.Sort(elems)
		out[m[1]] = elems
	}
	return out
}

// TestCounters: the counters of the fixture's counted rules are listed by chain and position, and count the
// packets that reach them (here: none, since nothing is routed through the namespace).
func TestCounters(t *testing.T) {
	c, _ := openNetns(t)
	want := fixture()
	if _, err := c.Sync(want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Counters()
	if err != nil {
		t.Fatal(err)
	}
	var wantAt []RuleCounter
	for _, ch := range want.Chains {
		for i, r := range ch.Rules {
			if r.Counter {
				wantAt = append(wantAt, RuleCounter{Chain: ch.Name, Rule: i})
			}
		}
	}
	slices.SortFunc(got, func(a, b RuleCounter) int {
		return cmp.Or(strings.Compare(a.Chain, b.Chain), cmp.Compare(a.Rule, b.Rule))
	})
	if !slices.Equal(got, wantAt) || len(got) == 0 {
		t.Errorf("counters %+v, want %+v", got, wantAt)
	}
}

package roundtrip

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/listing"
)

// listTable loads text with `nft -f` into a fresh namespace, runs the tampering commands (an `nft -f` script,
// may be empty) and returns what `nft list table inet nftpolicy` prints, parsed.
func listTable(t *testing.T, text, tamper string) *listing.Result {
	t.Helper()
	ns, _ := netnstest.New(t, "ls")
	if _, err := netnstest.Exec(t, ns, text, "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f: %v", err)
	}
	if tamper != "" {
		if _, err := netnstest.Exec(t, ns, tamper, "nft", "-f", "-"); err != nil {
			t.Fatalf("tamper: %v", err)
		}
	}
	out, err := netnstest.Exec(t, ns, "", "nft", "list", "table", "inet", nft.TableName)
	if err != nil {
		t.Fatal(err)
	}
	res, err := listing.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, out)
	}
	return res
}

// TestNftListParseEmptyDiff: every want.nft loaded with `nft -f` and listed by `nft list table` parses back as the
// compiled table — what `kubectl nftpolicy diff` relies on to say "no drift" without root.
func TestNftListParseEmptyDiff(t *testing.T) {
	for name, want := range goldenTables(t) {
		t.Run(name, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("..", "..", "compiler", "testdata", name, "want.nft"))
			if err != nil {
				t.Fatal(err)
			}
			res := listTable(t, string(text), "")
			if res.Table == nil || len(res.Notes) > 0 {
				t.Fatalf("table %v, notes %v", res.Table, res.Notes)
			}
			if p := nft.Diff(res.Table, want); !p.Empty() {
				t.Errorf("listing vs compiled: %+v", p)
			}
			if p := nft.Diff(want, res.Table); !p.Empty() {
				t.Errorf("compiled vs listing: %+v", p)
			}
		})
	}
}

// TestNftListTampered: a table changed by hand on the node parses as exactly that change.
func TestNftListTampered(t *testing.T) {
	want := goldenTables(t)["node-filter"]
	const ing = "ing-89ac74fc6a55bfa5"
	t.Run("element removed", func(t *testing.T) {
		res := listTable(t, want.Text(), "delete element inet nftpolicy ing-89ac74fc6a55bfa5-v4-a { 10.244.1.10 }\n")
		p := nft.Diff(res.Table, want)
		add := p.AddElements[ing+"-v4-a"]
		if len(add) != 1 || add[0].Addr.String() != "10.244.1.10" || len(p.AddElements) != 1 || len(p.DelElements) != 0 ||
			len(p.WriteChains)+len(p.AddChains)+len(p.AddSets)+len(p.DelSets)+len(p.DelChains) != 0 {
			t.Errorf("plan %+v", p)
		}
	})
	t.Run("rule added", func(t *testing.T) {
		res := listTable(t, want.Text(), "add rule inet nftpolicy forward tcp dport 22 accept\n")
		p := nft.Diff(res.Table, want)
		if len(p.WriteChains) != 1 || p.WriteChains[0].Name != "forward" || len(p.AddElements)+len(p.DelElements) != 0 {
			t.Errorf("plan %+v", p)
		}
		fwd := res.Table.Chains[slices.IndexFunc(res.Table.Chains, func(c *nft.Chain) bool { return c.Name == "forward" })]
		if last := fwd.Rules[len(fwd.Rules)-1]; last.Match != nft.Unknown || last.Comment != "tcp dport 22 accept" {
			t.Errorf("added rule parsed as %+v", last)
		}
	})
	t.Run("chain missing", func(t *testing.T) {
		res := listTable(t, want.Text(), "delete element inet nftpolicy ingress-v4 { 10.244.0.10, 10.244.0.11 }\n"+
			"delete chain inet nftpolicy "+ing+"\n")
		p := nft.Diff(res.Table, want)
		if len(p.AddChains) != 1 || p.AddChains[0].Name != ing || len(p.AddElements["ingress-v4"]) != 2 ||
			len(p.DelChains)+len(p.DelSets)+len(p.DelElements) != 0 {
			t.Errorf("plan %+v", p)
		}
	})
}

package controllers

import (
	"os"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// The tables of the test cluster at three steps, and the plans between them: creating the table (tables[0]),
// client-b moving to another address (tables[1]), a second policy selecting web (tables[2]: a new group chain).
func testPlans(t *testing.T) (tables []*nft.Table, plans []*nft.Plan) {
	objs := cluster()
	tables = append(tables, compileFor(t, objs))
	objs[3] = pod("client-b", "node-b", "10.244.2.21", map[string]string{"role": "client"})
	tables = append(tables, compileFor(t, objs))
	tables = append(tables, compileFor(t, append(objs, allowFrom("allow-admin", "web", "admin"))))
	return tables, []*nft.Plan{nft.Diff(nil, tables[0]), nft.Diff(tables[0], tables[1]), nft.Diff(tables[1], tables[2])}
}

func TestPlanStats(t *testing.T) {
	tables, plans := testPlans(t)
	before := tables[0]
	s := statsOf(plans[0])
	ts := statsOfTable(before)
	// add table, every chain and set, one message per non-empty set's elements, every rule.
	nonEmpty := 0
	for _, set := range before.Sets {
		if len(set.Elements) > 0 {
			nonEmpty++
		}
	}
	if want := 1 + len(before.Chains) + ts.Sets + nonEmpty + ts.Rules; s.Messages != want || s.Elements != ts.Elements {
		t.Errorf("create: %+v, want %d messages and %d elements", s, want, ts.Elements)
	}
	if s := statsOf(plans[1]); s != (planStats{Messages: 3, Elements: 2}) {
		t.Errorf("one address changed: %+v, want 3 messages (table, delete, add) and 2 elements", s)
	}
	if s := statsOf(plans[2]); s.ChainWrites != 1 {
		t.Errorf("new group: %+v, want 1 chain written", s)
	}
	big := &nft.Plan{AddElements: map[string][]nft.Element{"s": make([]nft.Element, 2500)}}
	if s := statsOf(big); s.Messages != 1+3 || s.Elements != 2500 {
		t.Errorf("2,500 elements: %+v, want 4 messages", s)
	}
	if s := statsOf(&nft.Plan{}); s != (planStats{}) {
		t.Errorf("empty plan: %+v", s)
	}
}

func TestPlanTextNamesEveryChange(t *testing.T) {
	tables, plans := testPlans(t)
	for i, wants := range [][]string{
		{"add table inet nftpolicy\n", "table inet nftpolicy {", "chain forward {", "add rule inet nftpolicy forward "},
		{"delete element inet nftpolicy ", "{ 10.244.2.20 }", "add element inet nftpolicy ", "{ 10.244.2.21 }"},
		{"flush chain inet nftpolicy ", "\tchain ing-", "add rule inet nftpolicy ing-", "delete chain inet nftpolicy ing-",
			"delete set inet nftpolicy ing-"},
	} {
		text := planText(plans[i], tables[i])
		for _, want := range wants {
			if !strings.Contains(text, want) {
				t.Errorf("plan %d lacks %q:\n%s", i, want, text)
			}
		}
	}
	if text := planText(&nft.Plan{}, nil); text != "" {
		t.Errorf("empty plan: %q", text)
	}
}

// The logged text is an nft script: applied with `nft -f` on top of the old table, it gives the new one.
func TestPlanTextLoadsWithNft(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (a network namespace of its own)")
	}
	tables, plans := testPlans(t)
	name, path := netnstest.New(t, "plantext")
	for i, p := range plans {
		script := planText(p, tables[i])
		if out, err := netnstest.Exec(t, name, script, "nft", "-f", "-"); err != nil {
			t.Fatalf("nft -f: %v\n%s\nscript:\n%s", err, out, script)
		}
	}
	conn, err := kernel.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := conn.Read()
	if err != nil {
		t.Fatal(err)
	}
	if p := nft.Diff(got, tables[2]); !p.Empty() {
		t.Errorf("after the scripts the kernel differs from the desired table by:\n%s", planText(p, tables[2]))
	}
}

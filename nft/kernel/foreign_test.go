package kernel

import (
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/nft"
)

const foreignTables = `
table ip other {
	chain c {
	}
}
table inet other2 {
	set s {
		type ipv4_addr
		elements = { 1.2.3.4 }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip saddr @s drop
	}
}
`

// TestForeignTables: Read, Sync and Delete see and touch only inet nftpolicy.
func TestForeignTables(t *testing.T) {
	c, ns := openNetns(t)
	nftIn(t, ns, foreignTables, "-f", "-")
	before := nftIn(t, ns, "", "list", "ruleset")

	if got, err := c.Read(); err != nil || got != nil {
		t.Fatalf("Read without our table: %v, %v", got, err)
	}
	want := fixture()
	if _, err := c.Sync(want); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)
	for _, table := range []string{"table ip other", "table inet other2"} {
		if !strings.Contains(nftIn(t, ns, "", "list", "ruleset"), table) {
			t.Fatalf("%s is gone after a sync", table)
		}
	}
	if err := c.Delete(); err != nil {
		t.Fatal(err)
	}
	if after := nftIn(t, ns, "", "list", "ruleset"); after != before {
		t.Fatalf("ruleset after Delete differs from before Sync:\n%s\n--- before\n%s", after, before)
	}
	if got, err := c.Read(); err != nil || got != nil {
		t.Fatalf("Read after Delete: %v, %v", got, err)
	}
	if err := c.Delete(); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
	// Delete leaves the Conn knowing there is no table: the next sync creates it.
	p, err := c.Sync(want)
	if err != nil || !p.CreateTable {
		t.Fatalf("sync after delete: plan %+v, err %v", p, err)
	}
}

// TestTampering: a rule added by hand to one of our chains reads as Unknown and only that chain is rewritten;
// other edits (a base chain's policy, an element, a dormant table) are undone the same way.
func TestTampering(t *testing.T) {
	c, ns := openNetns(t)
	want := fixture()
	if _, err := c.Sync(want); err != nil {
		t.Fatal(err)
	}
	nftIn(t, ns, "", "add", "rule", "inet", nft.TableName, "pod-a", "ip", "saddr", "1.2.3.4", "counter", "drop")
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	rules := findChain(got, "pod-a").Rules
	if last := rules[len(rules)-1]; last.Match != nft.Unknown {
		t.Fatalf("hand-added rule read as %+v", last)
	}
	p := nft.Diff(got, want)
	if len(p.WriteChains) != 1 || p.WriteChains[0].Name != "pod-a" || len(p.AddSets)+len(p.AddChains)+len(p.DelSets)+
		len(p.DelChains)+len(p.FlushChains)+len(p.AddElements)+len(p.DelElements) != 0 {
		t.Fatalf("plan after tampering: %+v", p)
	}
	// Read refreshed what Sync diffs against, so Sync repairs it.
	if p, err := c.Sync(want); err != nil || len(p.WriteChains) != 1 {
		t.Fatalf("repair: plan %+v, err %v", p, err)
	}
	if got, err = c.Read(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)

	for _, edit := range []string{
		"insert rule inet nftpolicy pod-b ip daddr @n4 counter return", // our rule plus a counter
		"add chain inet nftpolicy forward { policy drop; }",
		"add element inet nftpolicy h4 { 10.66.0.1 }",
		"add element inet nftpolicy np4 { 10.99.0.0/16 . tcp . 1-2 }",
		"delete element inet nftpolicy m4 { 10.1.0.1 }",
		"add table inet nftpolicy { flags dormant; }",
		"add table inet nftpolicy { flags dormant; }\ndelete chain inet nftpolicy output",
		"add rule inet nftpolicy pod-c ip saddr { 1.1.1.1, 2.2.2.2 } accept", // an anonymous set
		"delete chain inet nftpolicy output",
		"add chain inet nftpolicy extra",
		"add set inet nftpolicy extra { type ipv4_addr; timeout 1h; }",
		"delete table inet nftpolicy",
	} {
		nftIn(t, ns, edit, "-f", "-")
		got, err := c.Read()
		if err != nil {
			t.Fatalf("after %q: %v", edit, err)
		}
		if p := nft.Diff(got, want); p.Empty() {
			t.Fatalf("after %q the kernel reads as the desired table", edit)
		}
		if _, err := c.Sync(want); err != nil {
			t.Fatalf("repair after %q: %v", edit, err)
		}
		if got, err = c.Read(); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, got, want)
		if out := nftIn(t, ns, "", "list", "table", "inet", nft.TableName); strings.Contains(out, "dormant") {
			t.Fatalf("table still dormant after repair:\n%s", out)
		}
	}
}

// TestReadWhileOtherTablesChange reads while another table of the namespace keeps changing (as kube-proxy's
// does on a node): every change moves the ruleset generation, and the read still succeeds.
func TestReadWhileOtherTablesChange(t *testing.T) {
	c, ns := openNetns(t)
	nftIn(t, ns, "table ip other { set s { type ipv4_addr; }; }", "-f", "-")
	want := bigTable(20_000, 5_000)
	if _, err := c.Sync(want); err != nil {
		t.Fatal(err)
	}
	commits, stop := keepChanging(ns, "add element ip other s { 192.0.2.1 }\ndelete element ip other s { 192.0.2.1 }\n")
	for range 3 {
		got, err := c.Read()
		if err != nil {
			stop()
			t.Fatal(err)
		}
		mustEqual(t, got, want)
	}
	stop()
	if n := commits.Load(); n == 0 {
		t.Fatal("the other table never changed")
	} else {
		t.Logf("%d changes to another table during the reads", n)
	}
}

// TestSyncWhileOtherTablesChange: another program (a kube-proxy-like table ip filter with its own rules) commits
// its own changes all the time while the agent applies batches: every sync succeeds first time — the batches
// carry no generation check that another writer's commit could fail — and the other table ends exactly as its
// writer left it. It syncs until the other writer has committed 20 times in between.
func TestSyncWhileOtherTablesChange(t *testing.T) {
	c, ns := openNetns(t)
	const other = "table ip filter {\n\tset kube { type ipv4_addr; }\n\tchain FORWARD {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tip saddr @kube counter accept\n\t}\n}\n"
	nftIn(t, ns, other, "-f", "-")
	commits, stop := keepChanging(ns, "add element ip filter kube { 192.0.2.1 }\ndelete element ip filter kube { 192.0.2.1 }\n")
	syncs := 0
	deadline := time.Now().Add(30 * time.Second)
	for commits.Load() < 20 && time.Now().Before(deadline) {
		if _, err := c.Sync(bigTable(2000+syncs%50, 500)); err != nil {
			stop()
			t.Fatalf("sync %d while another table changes: %v", syncs, err)
		}
		syncs++
	}
	stop()
	if n := commits.Load(); n < 20 {
		t.Fatalf("the other table changed only %d times in 30 s", n)
	}
	t.Logf("%d syncs, %d commits to table ip filter in between", syncs, commits.Load())
	if got := nftIn(t, ns, "", "list", "set", "ip", "filter", "kube"); strings.Contains(got, "192.0.2.1") {
		t.Errorf("table ip filter was changed by someone else:\n%s", got)
	}
	if got := nftIn(t, ns, "", "list", "chain", "ip", "filter", "FORWARD"); !strings.Contains(got, "ip saddr @kube counter") {
		t.Errorf("table ip filter lost its rule:\n%s", got)
	}
}

// keepChanging commits script with nft in namespace ns over and over, as another program on the node would,
// until stop is called (it waits for the last commit); commits counts the successful ones.
func keepChanging(ns, script string) (commits *atomic.Int64, stop func()) {
	commits = &atomic.Int64{}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			default:
			}
			cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(script)
			if cmd.Run() == nil {
				commits.Add(1)
			}
		}
	}()
	return commits, func() { close(quit); <-done }
}

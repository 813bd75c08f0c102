package kernel

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// TestFailedBatchChangesNothing sends a plan that fails in the kernel at its last message (a rule that looks up
// a set that does not exist): nothing of it stays, the error names the rule, and the next sync reads the kernel
// instead of trusting what it remembered.
func TestFailedBatchChangesNothing(t *testing.T) {
	c, ns := openNetns(t)
	old := fixture()
	if _, err := c.Sync(old); err != nil {
		t.Fatal(err)
	}
	bad := clone(old)
	h4 := findSet(bad, "h4")
	h4.Elements = append(h4.Elements, exact("10.1.0.77"))
	nft.SortElements(h4.Elements)
	bad.Sets = append(bad.Sets, &nft.Set{Name: "new", Key: v6, Elements: []nft.Element{exact("fd00::9")}})
	bad.Chains = append(bad.Chains, &nft.Chain{Name: "zz-bad", Rules: []nft.Rule{
		lookup("new", accept, nft.IP6Saddr), lookup("nosuch", accept, nft.IPSaddr),
	}})
	canonical(bad)
	batches := recordBatches(c)
	_, err := c.Sync(bad)
	if err == nil {
		t.Fatal("sync of a rule that references a missing set succeeded")
	}
	labels := (*batches)[0]
	if last := labels[len(labels)-1]; !strings.HasPrefix(last, "add rule inet nftpolicy zz-bad (rule 2") {
		t.Fatalf("the failing rule is not the batch's last message: %q", last)
	}
	want := "add rule inet nftpolicy zz-bad (rule 2: ip saddr @nosuch accept): no such file or directory"
	if !strings.Contains(err.Error(), want) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	t.Logf("error: %v", err)

	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, old)

	// After the failure the cached state is gone; change the kernel behind the Conn's back and sync again:
	// it must see the change.
	if _, err := c.Sync(bad); err == nil {
		t.Fatal("second bad sync succeeded")
	}
	nftIn(t, ns, "", "add", "element", "inet", nft.TableName, "h4", "{ 10.1.0.88 }")
	p, err := c.Sync(old)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.DelElements["h4"], []nft.Element{exact("10.1.0.88")}) {
		t.Fatalf("sync after a failure did not read the kernel: plan %+v", p)
	}
	if got, err = c.Read(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, old)
}

// TestApplyNamesObject checks errors of Apply itself, here deleting an element that is not there.
func TestApplyNamesObject(t *testing.T) {
	c, _ := openNetns(t)
	old := fixture()
	if _, err := c.Sync(old); err != nil {
		t.Fatal(err)
	}
	err := c.Apply(&nft.Plan{DelElements: map[string][]nft.Element{"h4": {exact("10.200.0.1")}}})
	want := "delete element inet nftpolicy h4 (kernel elements 1-1 of 1): no such file or directory"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, old)
}

package kernel

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/nft"
)

// recordBatches makes c report the labels of every batch it sends.
func recordBatches(c *Conn) *[][]string {
	var got [][]string
	c.onBatch = func(labels []string) { got = append(got, labels) }
	return &got
}

// TestIncremental changes one element, one chain's rules, removes a set and its chain and adds new ones: the
// plan and the batch hold only that, and the kernel ends up holding the desired table.
func TestIncremental(t *testing.T) {
	c, _ := openNetns(t)
	old := fixture()
	if _, err := c.Sync(old); err != nil {
		t.Fatal(err)
	}
	want := clone(old)
	h4 := findSet(want, "h4")
	h4.Elements = slices.DeleteFunc(h4.Elements, func(e nft.Element) bool { return e == exact("10.1.0.2") })
	h4.Elements = append(h4.Elements, exact("10.1.0.9"))
	m4 := findSet(want, "m4")
	m4.Elements = slices.DeleteFunc(m4.Elements, func(e nft.Element) bool { return e.Verdict == jump("pod-c") })
	m4.Elements = append(m4.Elements, toVerdict("10.1.0.6", jump("pod-d")))
	findChain(want, "pod-b").Rules[2] = withComment(always(goTo("pod-a")), "changed")
	want.Sets = slices.DeleteFunc(want.Sets, func(s *nft.Set) bool { return s.Name == "c4" })
	want.Chains = slices.DeleteFunc(want.Chains, func(c *nft.Chain) bool { return c.Name == "pod-c" })
	want.Sets = append(want.Sets, &nft.Set{Name: "d4", Key: v4, Elements: []nft.Element{exact("10.4.0.1")}})
	podD := &nft.Chain{Name: "pod-d", Rules: []nft.Rule{lookup("d4", accept, nft.IPSaddr), always(drop)}}
	want.Chains = append(want.Chains, podD)
	canonical(want)

	batches := recordBatches(c)
	p, err := c.Sync(want)
	if err != nil {
		t.Fatal(err)
	}
	wantPlan := &nft.Plan{
		AddChains: []*nft.Chain{podD},
		AddSets:   []*nft.Set{findSet(want, "d4")},
		DelElements: map[string][]nft.Element{
			"h4": {exact("10.1.0.2")}, "m4": {toVerdict("10.1.0.5", jump("pod-c"))},
		},
		AddElements: map[string][]nft.Element{
			"h4": {exact("10.1.0.9")}, "m4": {toVerdict("10.1.0.6", jump("pod-d"))},
		},
		WriteChains: []*nft.Chain{findChain(want, "pod-b"), podD},
		FlushChains: []string{"pod-c"},
		DelSets:     []string{"c4"},
		DelChains:   []string{"pod-c"},
	}
	if !reflect.DeepEqual(p, wantPlan) {
		t.Errorf("plan\n %+v\nwant\n %+v", p, wantPlan)
	}
	wantBatch := []string{
		"add table inet nftpolicy",
		"flush chain inet nftpolicy pod-c",
		"flush chain inet nftpolicy pod-b",
		"add chain inet nftpolicy pod-d",
		"add set inet nftpolicy d4",
		"add element inet nftpolicy d4 (kernel elements 1-1 of 1)",
		"delete element inet nftpolicy h4 (kernel elements 1-1 of 1)",
		"delete element inet nftpolicy m4 (kernel elements 1-1 of 1)",
		"add element inet nftpolicy h4 (kernel elements 1-1 of 1)",
		"add element inet nftpolicy m4 (kernel elements 1-1 of 1)",
		"add rule inet nftpolicy pod-b (rule 1: ip daddr @n4 return)",
		"add rule inet nftpolicy pod-b (rule 2: ip6 daddr . meta l4proto . th dport @ap6 return)",
		`add rule inet nftpolicy pod-b (rule 3: goto pod-a comment "changed")`,
		"add rule inet nftpolicy pod-d (rule 1: ip saddr @d4 accept)",
		"add rule inet nftpolicy pod-d (rule 2: drop)",
		"delete set inet nftpolicy c4",
		"delete chain inet nftpolicy pod-c",
	}
	if len(*batches) != 1 || !slices.Equal((*batches)[0], wantBatch) {
		t.Errorf("batches:\n%s\nwant one:\n%s", joinBatches(*batches), strings.Join(wantBatch, "\n"))
	}
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)
}

func joinBatches(bs [][]string) string {
	var parts []string
	for _, b := range bs {
		parts = append(parts, strings.Join(b, "\n"))
	}
	return strings.Join(parts, "\n----\n")
}

// TestReplaceDefinitions changes what cannot change in place: a base chain's hook and a set's key and flags,
// with the rules that use the set unchanged. One batch replaces them.
func TestReplaceDefinitions(t *testing.T) {
	c, _ := openNetns(t)
	old := fixture()
	if _, err := c.Sync(old); err != nil {
		t.Fatal(err)
	}
	want := clone(old)
	findChain(want, "output").Hook.Priority = 10
	findChain(want, "input").Hook = &nft.Hook{Name: "forward", Priority: 1}
	h4 := findSet(want, "h4")
	h4.Interval = true
	h4.Elements = append(h4.Elements, span("10.9.0.0", "10.9.255.255"))
	canonical(want)
	p, err := c.Sync(want)
	if err != nil {
		t.Fatalf("sync: %v (plan %+v)", err, p)
	}
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)
	// And back.
	if _, err := c.Sync(old); err != nil {
		t.Fatal(err)
	}
	if got, err = c.Read(); err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, old)
}

package bench

import (
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// TestWholeClusterInOneBatch is the scale limit of one atomic batch: the table of a node that holds every pod
// of a 10,000-policy, 50,000-pod cluster (node "" makes every pod local, so every policy selects local pods and
// every group has a chain) is applied from nothing in ONE netlink batch — however many messages the element
// lists are cut into and however large the socket buffers must grow — and reads back exactly as desired.
func TestWholeClusterInOneBatch(t *testing.T) {
	c, _ := Cluster(10000, 50000)
	start := time.Now()
	n, err := build.Node(c, "")
	if err != nil {
		t.Fatal(err)
	}
	want := compiler.Compile(n)
	elements, rules := 0, 0
	for _, s := range want.Sets {
		elements += len(s.Elements)
	}
	for _, ch := range want.Chains {
		rules += len(ch.Rules)
	}
	t.Logf("built and compiled in %s: %d chains, %d rules, %d sets, %d elements", time.Since(start).Round(time.Millisecond),
		len(want.Chains), rules, len(want.Sets), elements)
	if elements < 100000 || len(n.Groups) < 500 {
		t.Fatalf("the cluster gives only %d elements and %d groups; this test needs ≥ 100,000 and ≥ 500", elements, len(n.Groups))
	}

	_, path := netnstest.New(t, "scale")
	conn, err := kernel.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start = time.Now()
	if _, err := conn.Sync(want); err != nil {
		t.Fatal(err)
	}
	applied := time.Since(start)
	lb := conn.LastBatch()
	t.Logf("applied in %s: %d batch(es), %d messages, %d bytes", applied.Round(time.Millisecond), lb.Batches, lb.Messages, lb.Bytes)
	if lb.Batches != 1 {
		t.Errorf("applied in %d batches; a first sync must be one atomic batch", lb.Batches)
	}
	got, err := conn.Read()
	if err != nil {
		t.Fatal(err)
	}
	if p := nft.Diff(got, want); !p.Empty() {
		t.Fatalf("the kernel holds something else than the desired table: %d sets, %d chains to rewrite", len(p.AddSets), len(p.WriteChains))
	}
}

package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// BenchmarkFirstBatch is the batch an agent sends when it starts on a node without a table: node-0 of 10,000
// policies × 50,000 pods (built and compiled outside the timing), synced into a network namespace of its own.
// Every round deletes the table and reads the empty namespace first, so each Sync starts from nothing. It
// reports, as the median of the rounds with their bounds (-min, -max):
//
//   - msgs: netlink messages of the batch (kernel.Conn.LastBatch: what was sent, not derived from the plan);
//   - bytes: bytes written to the socket for it;
//   - apply-ms: the Sync call (diff against nothing, encoding, sendmsg and the kernel's commit, acknowledgements).
//
// After the first round it reads the table back and checks every set holds as many elements as compiled. (ns/op
// is not one of its figures: it covers whole rounds, deletion and read-back included.)
func BenchmarkFirstBatch(b *testing.B) {
	const policies, pods = 10000, 50000
	c, node := Cluster(policies, pods)
	n, err := build.Node(c, node)
	if err != nil {
		b.Fatal(err)
	}
	want := compiler.Compile(n)
	elements := 0
	for _, s := range want.Sets {
		elements += len(s.Elements)
	}
	b.Logf("%s of %d policies × %d pods: %d sets, %d elements, %d chains", node, policies, pods,
		len(want.Sets), elements, len(want.Chains))

	_, path := netnstest.New(b, "firstbatch")
	conn, err := kernel.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })

	var msgs, bytes, apply []float64
	round := func() {
		if err := conn.Delete(); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Read(); err != nil { // forget what was applied: the Sync reads nothing back
			b.Fatal(err)
		}
		start := time.Now()
		p, err := conn.Sync(want)
		d := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if !p.CreateTable {
			b.Fatal("the first sync did not create the table")
		}
		st := conn.LastBatch()
		msgs, bytes, apply = append(msgs, float64(st.Messages)), append(bytes, float64(st.Bytes)), append(apply, durMs(d))
		if len(apply) == 1 {
			if err := sameElementCounts(conn, want); err != nil {
				b.Fatal(err)
			}
			b.Logf("first batch: %d batch(es), %d messages, %d bytes, Sync %s", st.Batches, st.Messages, st.Bytes,
				d.Round(time.Microsecond))
		}
	}
	for b.Loop() {
		round()
	}
	for len(apply) < minRounds {
		round()
	}
	reportSpread(b, "msgs", msgs)
	reportSpread(b, "bytes", bytes)
	reportSpread(b, "apply-ms", apply)
}

// sameElementCounts reads the table back and compares the number of elements of every set with want's.
func sameElementCounts(conn *kernel.Conn, want *nft.Table) error {
	got, err := conn.Read()
	if err != nil {
		return fmt.Errorf("read the table back: %w", err)
	}
	if got == nil {
		return fmt.Errorf("no table after the sync")
	}
	count := map[string]int{}
	for _, s := range got.Sets {
		count[s.Name] = len(s.Elements)
	}
	if len(got.Sets) != len(want.Sets) {
		return fmt.Errorf("the kernel holds %d sets, want %d", len(got.Sets), len(want.Sets))
	}
	for _, s := range want.Sets {
		if n, ok := count[s.Name]; !ok || n != len(s.Elements) {
			return fmt.Errorf("set %s holds %d elements in the kernel, want %d", s.Name, n, len(s.Elements))
		}
	}
	return nil
}

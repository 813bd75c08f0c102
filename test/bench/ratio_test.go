package bench

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// median runs f n times and returns the median duration.
func median(n int, f func()) time.Duration {
	ds := make([]time.Duration, n)
	for i := range ds {
		start := time.Now()
		f()
		ds[i] = time.Since(start)
	}
	slices.Sort(ds)
	return ds[n/2]
}

// BenchmarkPolicyScaling reports, measured side by side in one run, how much longer build+compile takes with
// 100× the policies (10,000 vs 100) at 50,000 pods: a ratio far below 100 means the cost is dominated by the
// node's own pods, not by the cluster's policy count.
func BenchmarkPolicyScaling(b *testing.B) {
	small, node := Cluster(100, 50000)
	large, _ := Cluster(10000, 50000)
	run := func(c build.Cluster) func() {
		return func() {
			n, err := build.Node(c, node)
			if err != nil {
				b.Fatal(err)
			}
			compiler.Compile(n)
		}
	}
	for i := 0; i < b.N; i++ {
		ts, tl := median(5, run(small)), median(5, run(large))
		b.ReportMetric(float64(ts.Milliseconds()), "ms-100-policies")
		b.ReportMetric(float64(tl.Milliseconds()), "ms-10k-policies")
		b.ReportMetric(float64(tl)/float64(ts), "ratio-100x-policies")
	}
}

// BenchmarkIncrementalVsFull reports, side by side, the cost of programming a node's table from nothing and of
// the change one new peer pod causes afterwards (one element in one set of 50,000), through the nft layer in a
// network namespace of its own.
func BenchmarkIncrementalVsFull(b *testing.B) {
	_, path := netnstest.New(b, "bench")
	conn, err := kernel.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	table := func(extra bool) *nft.Table {
		s := &nft.Set{Name: "ing-0000000000000000-v4-a", Key: []nft.KeyType{nft.IPv4Addr}}
		for i := 0; i < 50000; i++ {
			a := nthAddr(i)
			s.Elements = append(s.Elements, nft.Element{Addr: a, AddrLast: a})
		}
		if extra {
			a := nthAddr(50000)
			s.Elements = append(s.Elements, nft.Element{Addr: a, AddrLast: a})
		}
		return &nft.Table{Sets: []*nft.Set{s}, Chains: []*nft.Chain{{Name: "ing-0000000000000000", Rules: []nft.Rule{
			{Match: nft.Lookup, Fields: []nft.Field{nft.IPSaddr}, Set: s.Name, Verdict: nft.Verdict{Kind: nft.Accept}},
			{Match: nft.Always, Verdict: nft.Verdict{Kind: nft.Drop}},
		}}}}
	}
	base, plusOne := table(false), table(true)
	full := func() {
		if err := conn.Delete(); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Read(); err != nil { // forget the memory: the next Sync starts from nothing
			b.Fatal(err)
		}
		if _, err := conn.Sync(base); err != nil {
			b.Fatal(err)
		}
	}
	flip := false
	incremental := func() {
		want := base
		if flip = !flip; flip {
			want = plusOne
		}
		if _, err := conn.Sync(want); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		tf := median(5, full)
		ti := median(21, incremental)
		b.ReportMetric(float64(tf.Microseconds()), "µs-full-50k")
		b.ReportMetric(float64(ti.Microseconds()), "µs-one-peer")
		b.ReportMetric(float64(tf)/float64(ti), "ratio-full/one-peer")
	}
}

// nthAddr returns 10.128.0.0 + i.
func nthAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 128 + byte(i>>16), byte(i >> 8), byte(i)})
}

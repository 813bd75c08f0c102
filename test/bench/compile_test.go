package bench

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft"
)

// compileRounds is how many times each size is built and compiled; the figures are the median and the range.
const compileRounds = 5

// BenchmarkBuildCompile measures IR build + compile of one node at 100/1k/10k policies × 1k/10k/50k pods:
// ms (one build+compile; median and -min/-max over compileRounds rounds, whatever -benchtime says),
// alloc-MB and allocs (allocated per build+compile, the median round), and the size of what it produced —
// elements in all sets, chains, and the longest regular chain, which must not grow with pods or policies.
func BenchmarkBuildCompile(b *testing.B) {
	for _, policies := range []int{100, 1000, 10000} {
		for _, pods := range []int{1000, 10000, 50000} {
			b.Run(fmt.Sprintf("policies=%d/pods=%d", policies, pods), func(b *testing.B) {
				c, node := Cluster(policies, pods)
				var t *nft.Table
				var ms, mb, allocs []float64
				for range compileRounds {
					runtime.GC()
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					start := time.Now()
					n, err := build.Node(c, node)
					if err != nil {
						b.Fatal(err)
					}
					t = compiler.Compile(n)
					ms = append(ms, float64(time.Since(start).Microseconds())/1000)
					runtime.ReadMemStats(&after)
					mb = append(mb, float64(after.TotalAlloc-before.TotalAlloc)/(1<<20))
					allocs = append(allocs, float64(after.Mallocs-before.Mallocs))
				}
				reportSpread(b, "ms", ms)
				b.ReportMetric(medianOf(mb), "alloc-MB")
				b.ReportMetric(medianOf(allocs), "allocs")
				elements, longest := 0, 0
				for _, s := range t.Sets {
					elements += len(s.Elements)
				}
				for _, ch := range t.Chains {
					if ch.Hook == nil {
						longest = max(longest, len(ch.Rules))
					}
				}
				b.ReportMetric(float64(elements), "elements")
				b.ReportMetric(float64(longest), "max-chain-rules")
				b.ReportMetric(float64(len(t.Chains)), "chains")
			})
		}
	}
}

// medianOf is the middle of vs (the upper one of an even count).
func medianOf(vs []float64) float64 {
	s := slices.Sorted(slices.Values(vs))
	return s[len(s)/2]
}

// BenchmarkBuilderRelabel measures what the agent's sync loop pays to build node-0's IR again after one pod of
// another node changed labels, in a cluster of 10,000 policies × 50,000 pods: with a Builder that keeps what it
// derived from unchanged objects (as the agent does), and with Node from scratch, side by side in one run.
func BenchmarkBuilderRelabel(b *testing.B) {
	c, node := Cluster(10000, 50000)
	bl := build.NewBuilder(node)
	if _, err := bl.Node(c); err != nil {
		b.Fatal(err)
	}
	j := len(c.Pods) - 1
	var incr, full []float64
	for r := range compileRounds {
		p := c.Pods[j].DeepCopy()
		p.Labels["app"] = appName(r % appsPerNs)
		c.Pods[j] = p
		start := time.Now()
		if _, err := bl.Node(c); err != nil {
			b.Fatal(err)
		}
		incr = append(incr, float64(time.Since(start).Microseconds())/1000)
		start = time.Now()
		if _, err := build.Node(c, node); err != nil {
			b.Fatal(err)
		}
		full = append(full, float64(time.Since(start).Microseconds())/1000)
	}
	reportSpread(b, "builder-ms", incr)
	reportSpread(b, "node-ms", full)
}

package bench

import (
	"fmt"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft"
)

// BenchmarkBuildCompile measures IR build + compile of one node at 100/1k/10k policies × 1k/10k/50k pods, and
// reports the size of what it produced: elements in all sets, and the longest regular chain — which must not
// grow with pods or policies.
func BenchmarkBuildCompile(b *testing.B) {
	for _, policies := range []int{100, 1000, 10000} {
		for _, pods := range []int{1000, 10000, 50000} {
			b.Run(fmt.Sprintf("policies=%d/pods=%d", policies, pods), func(b *testing.B) {
				c, node := Cluster(policies, pods)
				b.ReportAllocs()
				b.ResetTimer()
				var t *nft.Table
				for i := 0; i < b.N; i++ {
					n, err := build.Node(c, node)
					if err != nil {
						b.Fatal(err)
					}
					t = compiler.Compile(n)
				}
				b.StopTimer()
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

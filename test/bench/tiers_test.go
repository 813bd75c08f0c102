package bench

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft"
)

// tiersPods is the size of the cluster BenchmarkTiers paints over.
const tiersPods = 10000

// BenchmarkTiers measures how ClusterNetworkPolicy tiers grow (docs/design/clusternetworkpolicy.md, Q13): node-0
// of a 10,000-pod Cluster with N ClusterNetworkPolicies (ClusterPolicies: alternating actions over pods,
// namespaces and networks, Admin and Baseline) and no NetworkPolicy, against the same cluster with N
// NetworkPolicies and no ClusterNetworkPolicy, side by side in one run, for N = 10, 100, 1,000.
//
// Metrics: build-ms and compile-ms (median and -min/-max over compileRounds rounds; compile is where painting
// happens), elements (in all sets), sets, chains, max-lookups (the most set lookups in one chain: bounded by the
// set shapes, 20 for an Admin tier, whatever N), pass-lookups (lookups of Admin pass-conflict sets, all chains);
// np-build-ms, np-compile-ms, np-elements, np-sets, np-max-lookups for the NetworkPolicies; compile-x and
// elements-x, the ClusterNetworkPolicy figures over the NetworkPolicy ones (compile-x per round: median and
// range).
func BenchmarkTiers(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("policies=%d", n), func(b *testing.B) {
			c, node := Cluster(0, tiersPods)
			c.ClusterPolicies = ClusterPolicies(n)
			np, _ := Cluster(n, tiersPods)
			var tiers, plain tableSize
			var buildMs, compileMs, npBuildMs, npCompileMs, ratio []float64
			for range compileRounds {
				bt, ct, size := buildAndCompile(b, c, node)
				nbt, nct, npSize := buildAndCompile(b, np, node)
				buildMs, compileMs = append(buildMs, bt), append(compileMs, ct)
				npBuildMs, npCompileMs = append(npBuildMs, nbt), append(npCompileMs, nct)
				ratio = append(ratio, ct/nct)
				tiers, plain = size, npSize
			}
			reportSpread(b, "build-ms", buildMs)
			reportSpread(b, "compile-ms", compileMs)
			b.ReportMetric(float64(tiers.elements), "elements")
			b.ReportMetric(float64(tiers.sets), "sets")
			b.ReportMetric(float64(tiers.chains), "chains")
			b.ReportMetric(float64(tiers.maxLookups), "max-lookups")
			b.ReportMetric(float64(tiers.passLookups), "pass-lookups")
			reportSpread(b, "np-build-ms", npBuildMs)
			reportSpread(b, "np-compile-ms", npCompileMs)
			b.ReportMetric(float64(plain.elements), "np-elements")
			b.ReportMetric(float64(plain.sets), "np-sets")
			b.ReportMetric(float64(plain.maxLookups), "np-max-lookups")
			reportSpread(b, "compile-x", ratio)
			b.ReportMetric(float64(tiers.elements)/float64(max(1, plain.elements)), "elements-x")
		})
	}
}

// tableSize is what a compiled table holds.
type tableSize struct {
	elements, sets, chains, maxLookups, passLookups int
}

// buildAndCompile builds node's IR from c and compiles it, after a garbage collection, and returns the time of
// each in milliseconds and the size of the table.
func buildAndCompile(b *testing.B, c build.Cluster, node string) (buildMs, compileMs float64, size tableSize) {
	b.Helper()
	runtime.GC()
	start := time.Now()
	n, err := build.Node(c, node)
	if err != nil {
		b.Fatal(err)
	}
	built := time.Now()
	t := compiler.Compile(n)
	compiled := time.Now()
	return durMs(built.Sub(start)), durMs(compiled.Sub(built)), sizeOf(t)
}

func sizeOf(t *nft.Table) tableSize {
	s := tableSize{sets: len(t.Sets), chains: len(t.Chains)}
	for _, set := range t.Sets {
		s.elements += len(set.Elements)
	}
	for _, ch := range t.Chains {
		if ch.Hook != nil {
			continue
		}
		lookups := 0
		for _, r := range ch.Rules {
			if r.Match == nft.Lookup {
				lookups++
				if strings.Contains(r.Set, "-adm-pass-") {
					s.passLookups++
				}
			}
		}
		s.maxLookups = max(s.maxLookups, lookups)
	}
	return s
}

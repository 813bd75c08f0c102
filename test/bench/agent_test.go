package bench

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/nftpolicy/nftpolicy/nft"
)

// agentPolicies is the number of policies of the agent benchmarks' clusters.
const agentPolicies = 10000

var discardLogs sync.Once

// BenchmarkAgent runs nftpolicy's agent for node-0 against a real API server (envtest) holding Cluster with
// 10,000 policies and 5,000 or 50,000 pods, each size on a server of its own, and measures per size:
//
//   - RSS: the memory of the real binary (`nftpolicy agent` as a child process) once its table is in force;
//   - Relabel: event→kernel latency of one relabel at a time in a quiet cluster (the agent in-process);
//   - Churn: event→kernel latency under 50 pod events per second (the same agent).
//
// See agentRSS, agentRelabel and agentChurn for their figures. Creating the cluster through the API server
// dominates the run time: about 300 pods a second (a create and a status update each) on 2 cores, so 3 of the
// benchmark's ~5 minutes.
func BenchmarkAgent(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("needs root: the agents program network namespaces of their own")
	}
	discardLogs.Do(func() { ctrl.SetLogger(logr.Discard()) })
	assets := envtestAssets(b)
	bin := buildAgent(b)
	for _, pods := range []int{5000, 50000} {
		b.Run(fmt.Sprintf("pods=%d", pods), func(b *testing.B) {
			api, node, want, peers := agentFixture(b, assets, pods)
			b.Run("RSS", func(b *testing.B) { agentRSS(b, api, bin, node, want) })
			agent := startInProcAgent(b, api.cfg, node)
			b.Run("Relabel", func(b *testing.B) { agentRelabel(b, api, agent, peers[0]) })
			b.Run("Churn", func(b *testing.B) { agentChurn(b, api, agent, peers[1:]) })
		})
	}
}

// agentPeers is how many peers of node-0 on other nodes agentFixture returns at most: the churn needs a few
// dozen free at any time.
const agentPeers = 500

// agentFixture starts an API server holding Cluster(agentPolicies, pods) and returns it with node-0's name, the
// table compiled for it, and pods of other nodes that are peers in that table. The benchmark keeps nothing
// else of the cluster: the in-process agent's measurements share this process's heap.
func agentFixture(b *testing.B, assets string, pods int) (*agentAPI, string, *nft.Table, []*corev1.Pod) {
	b.Helper()
	cluster, node := Cluster(agentPolicies, pods)
	api := startAgentAPI(b, assets, cluster)
	want := compileNode(b, cluster, node)
	var peers []*corev1.Pod
	for _, j := range peersOf(cluster, node, want) {
		if len(peers) == agentPeers {
			break
		}
		peers = append(peers, cluster.Pods[j])
	}
	if len(peers) < 2 {
		b.Fatalf("%d pods of other nodes in %s's sets, want 2 or more", len(peers), node)
	}
	return api, node, want, peers
}

// parallel runs f(0..n-1) on 32 workers and fails b on the first error.
func parallel(b *testing.B, n int, f func(int) error) {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				if err := f(i); err != nil {
					failed.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
}

// percentileMs is the q-quantile of ds (sorted in place), in milliseconds.
func percentileMs(ds []time.Duration, q float64) float64 {
	slices.Sort(ds)
	return durMs(ds[min(len(ds)-1, int(q*float64(len(ds))))])
}

type histogram struct {
	count uint64
	sum   float64
}

// histograms reads the count and sum of every histogram in reg.
func histograms(b *testing.B, reg *prometheus.Registry) map[string]histogram {
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]histogram{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if h := m.GetHistogram(); h != nil {
				out[mf.GetName()] = histogram{count: h.GetSampleCount(), sum: h.GetSampleSum()}
			}
		}
	}
	return out
}

// meanSince is the mean of the observations of histogram name between two readings (0 when there were none).
func meanSince(before, after map[string]histogram, name string) float64 {
	n := after[name].count - before[name].count
	if n == 0 {
		return 0
	}
	return (after[name].sum - before[name].sum) / float64(n)
}

// envtestAssets is KUBEBUILDER_ASSETS, or bin/k8s/1.37.2-<os>-<arch> when hack/envtest/build.sh built them.
func envtestAssets(b *testing.B) string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	dir, _ := filepath.Abs(filepath.Join("..", "..", "bin", "k8s", "1.37.2-"+goruntime.GOOS+"-"+goruntime.GOARCH))
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		b.Fatal("no kube-apiserver and etcd: run `make envtest` (builds them offline into bin/) or set KUBEBUILDER_ASSETS")
	}
	return dir
}

package bench

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
)

// agentRelabelSamples is the least number of relabels measured per size, whatever -benchtime says, so that the
// p99 means something.
const agentRelabelSamples = 50

var discardLogs sync.Once

// BenchmarkAgentRelabel runs the whole agent (controllers.New) for node-0 against a real API server (envtest)
// holding 1,000 policies and 5,000 or 50,000 pods from Cluster, programming a network namespace of its own. One
// op relabels a pod of another node that is a peer of node-0's groups (it moves between two apps, back and
// forth) through the API server and waits for the sync whose batch holds the pod's address. It reports:
//
//   - p50-ms, p99-ms: event→kernel as the API sees it, from the Update call returning to the OnSync report of
//     that batch (the watch event's trip through the API server and the informer included);
//   - agent-mean-ms: the agent's own nftpolicy_event_to_kernel_seconds (first watch event of a burst → batch
//     applied), the mean over the relabels;
//   - msgs/batch, elems/batch: the agent's nftpolicy_batch_messages and nftpolicy_batch_set_elements over the
//     relabels' batches (netlink messages derived from the plan; set elements added or deleted);
//   - rss-MB: VmRSS of this process after a GC (freed memory returned to the OS), the agent's cache and table at first sync included, the
//     benchmark's own copy of the cluster dropped; agent-MB: VmRSS minus the same figure taken before the agent
//     started (the API server and etcd are other processes).
//
// At least 50 relabels are measured per size, however few ops -benchtime asks for.
func BenchmarkAgentRelabel(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (a network namespace of its own)")
	}
	discardLogs.Do(func() { ctrl.SetLogger(logr.Discard()) })
	assets := envtestAssets(b)
	for _, size := range []struct{ policies, pods int }{{1000, 5000}, {1000, 50000}} {
		b.Run(fmt.Sprintf("%dpolicies-%dpods", size.policies, size.pods), func(b *testing.B) {
			agentRelabel(b, assets, size.policies, size.pods)
		})
	}
}

func agentRelabel(b *testing.B, assets string, policies, pods int) {
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		b.Fatalf("start envtest: %v", err)
	}
	b.Cleanup(func() { env.Stop() })

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = -1, 0 // no client-side rate limit: the API server takes what it can
	c, err := client.New(fast, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()

	cluster, node := Cluster(policies, pods)
	start := time.Now()
	for _, ns := range cluster.Namespaces {
		if err := c.Create(ctx, ns); err != nil {
			b.Fatal(err)
		}
	}
	parallel(b, len(cluster.Pods), func(j int) error {
		p := cluster.Pods[j].DeepCopy()
		for i := range p.Spec.Containers {
			p.Spec.Containers[i].Image = "bench"
		}
		status := p.Status
		status.PodIP = status.PodIPs[0].IP
		if err := c.Create(ctx, p); err != nil {
			return err
		}
		p.Status = status
		return c.Status().Update(ctx, p)
	})
	parallel(b, len(cluster.Policies), func(i int) error { return c.Create(ctx, cluster.Policies[i].DeepCopy()) })
	b.Logf("%d namespaces, %d pods (with status), %d policies created in %s", len(cluster.Namespaces),
		len(cluster.Pods), len(cluster.Policies), time.Since(start).Round(time.Millisecond))

	// Candidates: pods of namespace ns-0 (index j%100 == 0, where the app→app policies are) on other nodes.
	type candidate struct {
		namespace, name, app string
		addrs                []netip.Addr
	}
	var candidates []candidate
	for k := len(cluster.Pods) - 100; k >= 0 && len(candidates) < 20; k -= 100 {
		p := cluster.Pods[k]
		if p.Spec.NodeName == node {
			continue
		}
		cand := candidate{namespace: p.Namespace, name: p.Name, app: p.Labels["app"]}
		for _, ip := range p.Status.PodIPs {
			cand.addrs = append(cand.addrs, netip.MustParseAddr(ip.IP))
		}
		candidates = append(candidates, cand)
	}
	cluster = build.Cluster{} // the agent's memory is what is measured below
	rssBefore := rss(b)

	reports := make(chan controllers.Report, 4096)
	var dropped atomic.Int64
	_, path := netnstest.New(b, "agentbench")
	reg := prometheus.NewRegistry()
	agent, err := controllers.New(cfg, controllers.Options{NodeName: node, NetnsPath: path, VerifyInterval: -1,
		Registerer: reg, OnSync: func(r controllers.Report) {
			select {
			case reports <- r:
			default:
				dropped.Add(1)
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	actx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Start(actx); err != nil {
			b.Errorf("agent: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()

	start = time.Now()
	first := waitReport(b, reports, 5*time.Minute, func(r controllers.Report) bool { return r.Err == nil && r.Table != nil })
	b.Logf("first sync after %s: %d groups on %s, %d policies enforced, %d sets, sync %s",
		time.Since(start).Round(time.Millisecond), len(first.Node.Groups), node, len(first.Enforced),
		len(first.Table.Sets), first.Duration.Round(time.Millisecond))

	// relabel sets the pod's app label and returns the time from the Update call returning to the report of
	// the batch holding one of its addresses, and that report; ok is false when no such batch came within wait.
	relabel := func(cand candidate, app string, wait time.Duration) (time.Duration, controllers.Report, bool) {
		for {
			select {
			case <-reports: // drain what earlier syncs left
				continue
			default:
			}
			break
		}
		p := &corev1.Pod{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: cand.namespace, Name: cand.name}, p); err != nil {
			b.Fatal(err)
		}
		p.Labels = maps.Clone(p.Labels)
		p.Labels["app"] = app
		if err := c.Update(ctx, p); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		deadline := time.After(wait)
		for {
			select {
			case r := <-reports:
				if r.Err == nil && touches(r.Plan, cand.addrs) {
					return time.Since(t0), r, true
				}
			case <-deadline:
				return 0, controllers.Report{}, false
			}
		}
	}
	const moved = "app-relabelled"
	var pick *candidate
	for i := range candidates {
		if _, _, ok := relabel(candidates[i], moved, 3*time.Second); ok {
			pick = &candidates[i]
			break
		}
		relabel(candidates[i], candidates[i].app, time.Second)
	}
	if pick == nil {
		b.Fatal("no pod whose relabelling changes node-0's sets")
	}
	apps := [2]string{pick.app, moved} // the pick carries `moved` now

	rssAfter := rss(b)
	before := histograms(b, reg)
	var lat []time.Duration
	one := func() {
		d, r, ok := relabel(*pick, apps[len(lat)%2], 10*time.Second)
		if !ok {
			b.Fatalf("relabel %d: no batch holding %v within 10s", len(lat), pick.addrs)
		}
		if r.Plan.CreateTable || len(r.Plan.AddSets) > 0 || len(r.Plan.WriteChains) > 0 {
			b.Logf("relabel %d: not only set elements: %d new sets, %d chains written", len(lat),
				len(r.Plan.AddSets), len(r.Plan.WriteChains))
		}
		lat = append(lat, d)
	}
	for b.Loop() {
		one()
	}
	for len(lat) < agentRelabelSamples {
		one()
	}
	after := histograms(b, reg)
	if n := dropped.Load(); n > 0 {
		b.Logf("%d reports dropped (channel full)", n)
	}

	slices.Sort(lat)
	pct := func(q float64) float64 {
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	delta := func(name string) float64 {
		n := after[name].count - before[name].count
		if n == 0 {
			return 0
		}
		return (after[name].sum - before[name].sum) / float64(n)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(delta("nftpolicy_event_to_kernel_seconds")*1000, "agent-mean-ms")
	b.ReportMetric(delta("nftpolicy_batch_messages"), "msgs/batch")
	b.ReportMetric(delta("nftpolicy_batch_set_elements"), "elems/batch")
	b.ReportMetric(float64(rssAfter)/(1<<20), "rss-MB")
	b.ReportMetric(float64(rssAfter-rssBefore)/(1<<20), "agent-MB")
	b.Logf("%d relabels of %s/%s: p50 %.1f ms, p99 %.1f ms, max %.1f ms; batches %v→%v", len(lat), pick.namespace,
		pick.name, pct(0.5), pct(0.99), float64(lat[len(lat)-1].Microseconds())/1000,
		before["nftpolicy_batch_messages"].count, after["nftpolicy_batch_messages"].count)
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

// waitReport returns the first report that satisfies ok, or fails b after d.
func waitReport(b *testing.B, reports <-chan controllers.Report, d time.Duration, ok func(controllers.Report) bool) controllers.Report {
	deadline := time.After(d)
	for {
		select {
		case r := <-reports:
			if ok(r) {
				return r
			}
		case <-deadline:
			b.Fatalf("no such sync within %s", d)
		}
	}
}

// touches says whether p adds or deletes an element holding one of addrs.
func touches(p *nft.Plan, addrs []netip.Addr) bool {
	if p == nil {
		return false
	}
	for _, m := range []map[string][]nft.Element{p.AddElements, p.DelElements} {
		for _, es := range m {
			for _, e := range es {
				if slices.Contains(addrs, e.Addr) {
					return true
				}
			}
		}
	}
	return false
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

// rss is this process's resident set (VmRSS) after a GC that returns freed memory to the OS, in bytes.
func rss(b *testing.B) int64 {
	debug.FreeOSMemory()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
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

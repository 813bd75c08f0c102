package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// compileFor is the table the agent of testNode should hold for objs.
func compileFor(t *testing.T, objs []client.Object) *nft.Table {
	t.Helper()
	return compiler.Compile(irFor(t, objs))
}

// irFor is the IR of testNode for objs.
func irFor(t *testing.T, objs []client.Object) *ir.Node {
	t.Helper()
	var c build.Cluster
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Namespace:
			c.Namespaces = append(c.Namespaces, o)
		case *corev1.Pod:
			c.Pods = append(c.Pods, o)
		case *networkingv1.NetworkPolicy:
			c.Policies = append(c.Policies, o)
		case *cnp.ClusterNetworkPolicy:
			c.ClusterPolicies = append(c.ClusterPolicies, o)
		case *corev1.Node:
			c.Nodes = append(c.Nodes, o)
		}
	}
	n, err := build.Node(c, testNode)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func sameTable(a, b *nft.Table) bool {
	if a == nil || b == nil {
		return a == b
	}
	return nft.Diff(a, b).Empty()
}

// addrs lists every address in the sets and maps of t.
func addrs(t *nft.Table) map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	for _, s := range t.Sets {
		for _, e := range s.Elements {
			out[e.Addr] = true
		}
	}
	return out
}

func value(t *testing.T, c prometheus.Collector) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1)
	c.Collect(ch)
	var m dto.Metric
	if err := (<-ch).Write(&m); err != nil {
		t.Fatal(err)
	}
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	t.Fatalf("unexpected metric %v", &m)
	return 0
}

func TestFirstSyncWaitsForTheCacheAndReplacesThePreviousTableInOneBatch(t *testing.T) {
	objs := cluster()
	// The previous run enforced an older state: client-a was not a client yet.
	old := cluster()
	old[2] = pod("client-a", testNode, "10.244.1.20", nil)
	dp := &fakeDataplane{kernel: compileFor(t, old)}
	previous := dp.holds()

	e := start(t, objs, withDataplane(dp), withUnsyncedCache())
	e.create(pod("late", "node-b", "10.244.2.30", map[string]string{"role": "client"}))
	e.quiet(300 * time.Millisecond)
	if calls := dp.calls(); len(calls) != 0 {
		t.Fatalf("dataplane used before the cache synced: %v", calls)
	}
	if !sameTable(dp.holds(), previous) {
		t.Fatal("previous table changed before the cache synced")
	}
	if err := e.sync.ReadyCheck(nil); err == nil || !strings.Contains(err.Error(), "no successful sync") {
		t.Fatalf("ReadyCheck before the first sync = %v, want not ready", err)
	}

	e.informer(&corev1.Pod{}).Synced()
	r := e.next()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	want := compileFor(t, append(objs, pod("late", "node-b", "10.244.2.30", map[string]string{"role": "client"})))
	if !sameTable(dp.holds(), want) {
		t.Errorf("kernel holds\n%s\nwant\n%s", dp.holds().Text(), want.Text())
	}
	_, _, plans := dp.counts()
	if plans != 1 {
		t.Fatalf("%d batches, want 1", plans)
	}
	p := dp.plans[0]
	if p.CreateTable || len(p.AddChains)+len(p.DelChains)+len(p.DelSets) > 0 {
		t.Errorf("first batch rebuilt objects instead of changing elements:\n%s", planText(p, want))
	}
	if err := e.sync.ReadyCheck(nil); err != nil {
		t.Errorf("ReadyCheck after the first sync: %v", err)
	}
}

// controller-runtime starts the workers of a controller stopped before its caches synced (a cancelled wait
// counts as synced), and a worker may still take a queued key: such a pass must not sync from a cache that never
// filled, nor start a sync while stopping.
func TestPassesBeforeTheCacheSyncedOrWhileStoppingWriteNothing(t *testing.T) {
	scheme := newScheme(t)
	informers := &informertest.FakeInformers{Scheme: scheme}
	pods := controllertest.NewFakeInformer()
	gvks, _, _ := scheme.ObjectKinds(&corev1.Pod{})
	informers.InformersByGVK = map[schema.GroupVersionKind]toolscache.SharedIndexInformer{gvks[0]: pods}
	dp := &fakeDataplane{}
	s, err := NewNodeSync(NodeSyncConfig{NodeName: testNode, Informers: informers, Dataplane: dp,
		Reader: fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster()...).Build()})
	if err != nil {
		t.Fatal(err)
	}
	s.burst.mark()
	res, err := s.Reconcile(context.Background(), reconcile.Request{})
	if err != nil || res.RequeueAfter <= 0 || len(dp.calls()) != 0 {
		t.Errorf("before the cache synced: result %+v, err %v, dataplane calls %v; want a requeue and no call", res, err,
			dp.calls())
	}
	pods.Synced()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Reconcile(ctx, reconcile.Request{}); err != nil || len(dp.calls()) != 0 {
		t.Errorf("while stopping: err %v, dataplane calls %v; want none", err, dp.calls())
	}
	if _, err := s.Reconcile(context.Background(), reconcile.Request{}); err != nil || len(dp.calls()) != 1 {
		t.Errorf("synced: err %v, dataplane calls %v; want one sync", err, dp.calls())
	}
	if n := value(t, s.metrics.eventToKernel); n != 1 {
		t.Errorf("the burst marked before the refused passes was not kept: %v latency observations", n)
	}
}

func TestBurstOfEventsCoalesces(t *testing.T) {
	e := start(t, cluster())
	if r := e.next(); r.Err != nil {
		t.Fatal(r.Err)
	}
	syncsBefore, _, _ := e.dp.counts()

	// The first sync of the burst is held inside the dataplane while the other 99 events arrive.
	gate := make(chan struct{})
	e.dp.mu.Lock()
	e.dp.gate = gate
	e.dp.mu.Unlock()
	var want []netip.Addr
	for i := range 100 {
		ip := fmt.Sprintf("10.244.2.%d", 100+i)
		want = append(want, netip.MustParseAddr(ip))
		e.create(pod(fmt.Sprintf("burst-%d", i), "node-b", ip, map[string]string{"role": "client"}))
	}
	close(gate)
	for {
		r := e.next()
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		// The report's own table, not the dataplane's: a later sync may already have landed there, and its
		// report must not be left for quiet to find.
		if got := addrs(r.Table); got[want[len(want)-1]] {
			break
		}
	}
	e.quiet(300 * time.Millisecond)
	syncs, _, _ := e.dp.counts()
	if n := syncs - syncsBefore; n > 3 {
		t.Errorf("100 events took %d syncs, want at most 3", n)
	}
	got := addrs(e.dp.holds())
	for _, a := range want {
		if !got[a] {
			t.Errorf("peer %s missing from the table", a)
		}
	}
	if n := value(t, e.sync.metrics.eventToKernel); n < 1 {
		t.Errorf("event→kernel latency observed %v times, want at least once", n)
	}
}

func TestUnenforceablePolicyIsExcludedWithOneEventPerGeneration(t *testing.T) {
	broken := badCIDR("broken")
	e := start(t, append(cluster(), broken))
	r := e.next()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if len(r.Excluded) != 1 || r.Excluded[0].Policy.String() != "x/broken" ||
		!strings.Contains(r.Excluded[0].Reason, "spec.ingress[0].from[0].ipBlock.cidr") {
		t.Fatalf("Excluded = %+v, want x/broken with the field", r.Excluded)
	}
	if len(r.Enforced) != 1 || r.Enforced[0].String() != "x/allow-client" {
		t.Errorf("Enforced = %v, want [x/allow-client]", r.Enforced)
	}
	if !sameTable(e.dp.holds(), compileFor(t, cluster())) {
		t.Error("the other policies are not enforced as if the broken one did not exist")
	}
	wantEvent(t, e, "Warning Unenforceable not enforced on node node-a: NetworkPolicy x/broken: spec.ingress[0]")

	// Another sync, same generation: no second Event.
	web := pod("web", testNode, "10.244.1.10", map[string]string{"app": "web"})
	if err := e.client.Get(e.ctx, client.ObjectKeyFromObject(web), web); err != nil {
		t.Fatal(err)
	}
	e.update(web, func() { web.Labels["tier"] = "front" })
	if r := e.next(); r.Err != nil || len(r.Excluded) != 1 {
		t.Fatalf("second sync: err %v, excluded %v", r.Err, r.Excluded)
	}
	noEvent(t, e)

	// A new generation, still broken: one more Event.
	e.update(broken, func() { broken.Spec.Ingress[0].From[0].IPBlock.CIDR = "10.1.0/16"; broken.Generation = 2 })
	e.next()
	wantEvent(t, e, `invalid CIDR "10.1.0/16"`)

	// Fixed: enforced, no Event.
	e.update(broken, func() { broken.Spec.Ingress[0].From[0].IPBlock.CIDR = "10.1.0.0/16"; broken.Generation = 3 })
	r = e.next()
	if r.Err != nil || len(r.Excluded) != 0 || len(r.Enforced) != 2 {
		t.Fatalf("after the fix: err %v, excluded %v, enforced %v", r.Err, r.Excluded, r.Enforced)
	}
	noEvent(t, e)
}

func wantEvent(t *testing.T, e *env, substr string) {
	t.Helper()
	select {
	case ev := <-e.recorder.Events:
		if !strings.Contains(ev, substr) {
			t.Errorf("event %q, want it to contain %q", ev, substr)
		}
	case <-time.After(time.Second):
		t.Errorf("no event, want one containing %q", substr)
	}
}

func noEvent(t *testing.T, e *env) {
	t.Helper()
	select {
	case ev := <-e.recorder.Events:
		t.Errorf("unexpected event %q", ev)
	default:
	}
}

func TestFailedSyncIsRetriedAsAFullResync(t *testing.T) {
	dp := &fakeDataplane{failSyncs: 1}
	e := start(t, cluster(), withDataplane(dp))
	r := e.next()
	if !errors.Is(r.Err, errInjected) {
		t.Fatalf("first sync: %v, want the injected failure", r.Err)
	}
	if err := e.sync.ReadyCheck(nil); err == nil {
		t.Error("ready while the last sync failed")
	}
	if r := e.next(); r.Err != nil {
		t.Fatalf("retry: %v", r.Err)
	}
	if got := strings.Join(dp.calls(), ","); got != "sync,read,sync" {
		t.Errorf("dataplane calls %s, want sync,read,sync (the retry reads the kernel first)", got)
	}
	if err := e.sync.ReadyCheck(nil); err != nil {
		t.Errorf("not ready after a successful retry: %v", err)
	}
	if n := value(t, e.sync.metrics.errors.WithLabelValues(errDataplane)); n != 1 {
		t.Errorf("dataplane errors = %v, want 1", n)
	}
}

// A table changed behind the agent's back makes the next incremental batch fail (it deletes what is no longer
// there); the retry reads the kernel and converges.
func TestStaleStateFailsThenResyncConverges(t *testing.T) {
	objs := cluster()
	e := start(t, objs)
	if r := e.next(); r.Err != nil {
		t.Fatal(r.Err)
	}
	e.dp.tamper(func(*nft.Table) *nft.Table { return nil })
	client := objs[2].(*corev1.Pod)
	e.update(client, func() { client.Labels = nil })
	if r := e.next(); r.Err == nil {
		t.Fatal("sync against a deleted table succeeded; the fake should refuse it")
	}
	if r := e.next(); r.Err != nil {
		t.Fatalf("full resync: %v", r.Err)
	}
	if want := compileFor(t, objs); !sameTable(e.dp.holds(), want) {
		t.Errorf("kernel holds\n%s\nwant\n%s", e.dp.holds().Text(), want.Text())
	}
}

func TestVerificationRestoresATamperedTable(t *testing.T) {
	e := start(t, cluster(), withVerify(50*time.Millisecond))
	if r := e.next(); r.Err != nil {
		t.Fatal(r.Err)
	}
	want := e.dp.holds()
	for _, tc := range []struct {
		name   string
		change func(*nft.Table) *nft.Table
	}{
		{"table deleted", func(*nft.Table) *nft.Table { return nil }},
		{"element removed", func(t *nft.Table) *nft.Table {
			for _, s := range t.Sets {
				if len(s.Elements) > 0 {
					s.Elements = s.Elements[1:]
					break
				}
			}
			return t
		}},
		{"rule added", func(t *nft.Table) *nft.Table {
			t.Chains[0].Rules = append(t.Chains[0].Rules, nft.Rule{Match: nft.Always, Verdict: nft.Verdict{Kind: nft.Accept}})
			return t
		}},
	} {
		e.dp.tamper(tc.change)
		r := e.next()
		if r.Err != nil || !r.Repaired {
			t.Fatalf("%s: sync err %v, repaired %v", tc.name, r.Err, r.Repaired)
		}
		if !sameTable(e.dp.holds(), want) {
			t.Errorf("%s: not restored:\n%s", tc.name, e.dp.holds().Text())
		}
	}
	if n := value(t, e.sync.metrics.tamperRepairs); n != 3 {
		t.Errorf("tamper repairs = %v, want 3", n)
	}
	// Nothing changed: verification reads, but does not sync.
	_, readsBefore, _ := e.dp.counts()
	e.quiet(300 * time.Millisecond)
	if _, reads, _ := e.dp.counts(); reads <= readsBefore {
		t.Error("no verification in 300ms with a 50ms interval")
	}
}

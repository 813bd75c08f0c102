package controllers

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// fakeActivity stands for the drop log and the counters, counting how often the writer reads them.
type fakeActivity struct {
	mu          sync.Mutex
	drops       []Drop // oldest first, as the drop log keeps them
	counts      []policyCount
	countsErr   error
	countsReads int
}

func (f *fakeActivity) sources() statusActivity {
	return statusActivity{
		drops: func() []Drop {
			f.mu.Lock()
			defer f.mu.Unlock()
			return append([]Drop(nil), f.drops...)
		},
		counts: func() ([]policyCount, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.countsReads++
			return append([]policyCount(nil), f.counts...), f.countsErr
		},
	}
}

func (f *fakeActivity) reads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.countsReads
}

func (f *fakeActivity) set(change func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change()
}

// manyDrops are n drops a second apart, oldest first; drop i comes from pod x/client-i (from an address without
// a pod for odd i) to x/web on port 8000+i, isolated by 12 policies; the last one is in audit mode.
func manyDrops(start time.Time, n int) []Drop {
	var policies []string
	for i := range 12 {
		policies = append(policies, fmt.Sprintf("x/p%02d", i))
	}
	out := make([]Drop, n)
	for i := range out {
		d := Drop{At: start.Add(time.Duration(i)*time.Second + 300*time.Millisecond), Direction: "ingress",
			Src: netip.AddrFrom4([4]byte{10, 0, 1, byte(i)}), Dst: netip.MustParseAddr("10.0.0.1"),
			DstPod: "x/web", Proto: "tcp", Port: uint16(8000 + i), Policies: policies}
		if i%2 == 0 {
			d.SrcPod = fmt.Sprintf("x/client-%d", i)
		}
		d.Audit = i == n-1
		out[i] = d
	}
	return out
}

// manyCounts are 12 busy policies (x/p00 dropped least) and one that counted nothing.
func manyCounts(scale uint64) []policyCount {
	var out []policyCount
	for i := range 12 {
		out = append(out, policyCount{policy: ir.PolicyRef{Namespace: "x", Name: fmt.Sprintf("p%02d", i)},
			direction: "ingress", allowed: 5 * scale, dropped: uint64(i) * scale})
	}
	return append(out, policyCount{policy: ir.PolicyRef{Namespace: "x", Name: "idle"}, direction: "egress"})
}

func statusClient(t *testing.T) client.WithWatch {
	t.Helper()
	scheme := newScheme(t)
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&v1alpha1.NodePolicyStatus{}).Build()
}

func getStatus(t *testing.T, c client.Client) *v1alpha1.NodePolicyStatus {
	t.Helper()
	nps := &v1alpha1.NodePolicyStatus{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: testNode}, nps); err != nil {
		t.Fatal(err)
	}
	return nps
}

// TestStatusActivityFields: the writer fills recentDrops (newest first, at most 20, policies cut to 10, pods or
// addresses, times to the second) and busiestPolicies (most dropped first, at most 10, idle ones left out) from
// its last reading of the sources, and only a reading changes them: a write for a sync carries the last reading
// without reading the counters again.
func TestStatusActivityFields(t *testing.T) {
	c := statusClient(t)
	start := time.Unix(1_800_000_000, 0)
	act := &fakeActivity{drops: manyDrops(start, 25), counts: manyCounts(1)}
	w := newStatusWriter(testNode, c, c, act.sources())
	ctx, log := context.Background(), testr.New(t)
	table := compileFor(t, cluster())
	w.offer(Report{Start: start, Duration: time.Millisecond, Table: table})
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	if st := getStatus(t, c).Status; st.RecentDrops != nil || st.BusiestPolicies != nil || act.reads() != 0 {
		t.Fatalf("before any reading: drops %v, busiest %v, %d counter reads; want none", st.RecentDrops, st.BusiestPolicies, act.reads())
	}

	w.sampleActivity(log)
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	st := getStatus(t, c).Status
	if len(st.RecentDrops) != v1alpha1.MaxRecentDrops {
		t.Fatalf("%d drops, want %d", len(st.RecentDrops), v1alpha1.MaxRecentDrops)
	}
	newest, oldest := st.RecentDrops[0], st.RecentDrops[len(st.RecentDrops)-1]
	wantNewest := v1alpha1.DropRecord{Time: metav1.NewTime(start.Add(24 * time.Second)), Direction: "ingress",
		Src: "x/client-24", Dst: "x/web", SrcIP: "10.0.1.24", DstIP: "10.0.0.1", Protocol: "tcp", Port: 8024}
	if got := newest; got.Time.Compare(wantNewest.Time.Time) != 0 || got.Src != wantNewest.Src || got.Dst != wantNewest.Dst ||
		got.SrcIP != wantNewest.SrcIP || got.DstIP != wantNewest.DstIP || got.Protocol != "tcp" || got.Port != 8024 ||
		got.Direction != "ingress" || len(got.Policies) != v1alpha1.MaxDropPolicies || got.Policies[0] != "x/p00" || !got.Audit {
		t.Errorf("newest drop %+v, want %+v with policies x/p00..x/p09, in audit mode", got, wantNewest)
	}
	if oldest.Src != "10.0.1.5" || oldest.Port != 8005 || oldest.Audit {
		t.Errorf("oldest drop kept %+v, want the one from 10.0.1.5 (no pod) on 8005, not in audit mode", oldest)
	}
	if len(st.BusiestPolicies) != v1alpha1.MaxBusiestPolicies || st.BusiestPolicies[0].Name != "p11" ||
		st.BusiestPolicies[0].DroppedPackets != 11 || st.BusiestPolicies[0].AllowedPackets != 5 ||
		st.BusiestPolicies[len(st.BusiestPolicies)-1].Name != "p02" {
		t.Errorf("busiest %+v, want p11 (11 dropped, 5 allowed) down to p02", st.BusiestPolicies)
	}

	// The counters move and a sync changes the status: written, with the previous reading of the counters.
	act.set(func() { act.counts = manyCounts(100) })
	reads := act.reads()
	w.offer(Report{Start: start.Add(time.Minute), Err: errors.New("boom"), FailedStep: errDataplane})
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	nps := getStatus(t, c)
	if nps.Status.LastError == nil || nps.Status.BusiestPolicies[0].DroppedPackets != 11 || act.reads() != reads {
		t.Errorf("a sync's write: lastError %+v, top dropped %d, counter reads %d → %d; want the failure, 11 and no read",
			nps.Status.LastError, nps.Status.BusiestPolicies[0].DroppedPackets, reads, act.reads())
	}

	// The next reading brings them.
	w.sampleActivity(log)
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	nps = getStatus(t, c)
	if got := nps.Status.BusiestPolicies[0].DroppedPackets; got != 1100 {
		t.Errorf("after a reading: top dropped %d, want 1100", got)
	}

	// A reading that finds nothing new writes nothing; a failed counter read keeps the last counts.
	rv := nps.ResourceVersion
	act.set(func() { act.countsErr = errors.New("netlink: boom") })
	w.sampleActivity(log)
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	if nps = getStatus(t, c); nps.ResourceVersion != rv || len(nps.Status.BusiestPolicies) != v1alpha1.MaxBusiestPolicies {
		t.Errorf("unchanged reading: resourceVersion %s → %s, busiest %v; want no write", rv, nps.ResourceVersion, nps.Status.BusiestPolicies)
	}
}

// TestStatusKeepsThePreviousRunsDrops: a new run that has seen no drop leaves those the object holds (they are
// still the node's last), and replaces them with its own once it sees one.
func TestStatusKeepsThePreviousRunsDrops(t *testing.T) {
	c := statusClient(t)
	start := time.Unix(1_800_000_000, 0)
	prev := &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: testNode}}
	if err := c.Create(context.Background(), prev); err != nil {
		t.Fatal(err)
	}
	prev.Status.SetRecentDrops(dropRecords(manyDrops(start, 3)))
	if err := c.Status().Update(context.Background(), prev); err != nil {
		t.Fatal(err)
	}

	act := &fakeActivity{}
	w := newStatusWriter(testNode, c, c, act.sources())
	ctx, log := context.Background(), testr.New(t)
	w.offer(Report{Start: start.Add(time.Hour), Duration: time.Millisecond, Table: compileFor(t, cluster())})
	w.sampleActivity(log)
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	if got := getStatus(t, c).Status.RecentDrops; len(got) != 3 || got[0].Port != 8002 {
		t.Errorf("no drop seen yet: recentDrops %+v, want the previous run's 3", got)
	}
	if got := getStatus(t, c).Status.BusiestPolicies; got != nil {
		t.Errorf("counters that counted nothing: busiest %+v, want none", got)
	}

	act.set(func() { act.drops = manyDrops(start.Add(time.Hour), 1) })
	w.sampleActivity(log)
	if err := w.write(ctx, log); err != nil {
		t.Fatal(err)
	}
	if got := getStatus(t, c).Status.RecentDrops; len(got) != 1 || !got[0].Time.Equal(&metav1.Time{Time: start.Add(time.Hour)}) {
		t.Errorf("after a drop of its own: recentDrops %+v, want that one", got)
	}
}

// TestStatusWriterReadsActivityOnItsTick runs the writer's loop: reports alone never read the counters (a busy
// node's status is not rewritten for them at every sync); the activity tick reads them and writes what changed.
func TestStatusWriterReadsActivityOnItsTick(t *testing.T) {
	c := statusClient(t)
	act := &fakeActivity{counts: manyCounts(1)}
	table := compileFor(t, cluster())
	run := func(w *statusWriter) (stop func()) {
		w.interval = time.Millisecond
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { _ = w.Start(ctx) })
		return func() { cancel(); wg.Wait() }
	}

	slow := newStatusWriter(testNode, c, c, act.sources()) // the default interval: no tick during the test
	stop := run(slow)
	for i := range 5 {
		slow.offer(Report{Start: time.Now(), Err: fmt.Errorf("failure %d", i), FailedStep: errDataplane})
		time.Sleep(20 * time.Millisecond)
	}
	eventually(t, 5*time.Second, "the reports written", func() error {
		if e := getStatus(t, c).Status.LastError; e == nil || e.Message != "failure 4" {
			return fmt.Errorf("lastError %+v", e)
		}
		return nil
	})
	stop()
	if n := act.reads(); n != 0 || getStatus(t, c).Status.BusiestPolicies != nil {
		t.Errorf("reports alone read the counters %d times (busiest %v); want none", n, getStatus(t, c).Status.BusiestPolicies)
	}

	fast := newStatusWriter(testNode, c, c, act.sources())
	fast.activityEvery = 20 * time.Millisecond
	defer run(fast)()
	fast.offer(Report{Start: time.Now(), Table: table})
	eventually(t, 5*time.Second, "busiest policies from the tick", func() error {
		if b := getStatus(t, c).Status.BusiestPolicies; len(b) == 0 || b[0].DroppedPackets != 11 {
			return fmt.Errorf("busiest %+v", b)
		}
		return nil
	})
	act.set(func() { act.counts = manyCounts(7) })
	eventually(t, 5*time.Second, "the next tick's counts", func() error {
		if b := getStatus(t, c).Status.BusiestPolicies; len(b) == 0 || b[0].DroppedPackets != 77 {
			return fmt.Errorf("busiest %+v", b)
		}
		return nil
	})
}

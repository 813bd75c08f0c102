package labnet

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"
)

// TestAddPodSpeed adds 10 dual-stack pods with three ports each, one after
// the other, and reports the time (the target is under a second for all
// ten); it fails only when it is grossly slower.
func TestAddPodSpeed(t *testing.T) {
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			n := newNet(t, topo)
			start := time.Now()
			var slowest time.Duration
			for i := range 10 {
				s := time.Now()
				mustAddPod(t, n, fmt.Sprintf("x/p%d", i), fmt.Sprintf("10.1.0.%d", 10+i), fmt.Sprintf("fd00:1::%d", 10+i))
				slowest = max(slowest, time.Since(s))
			}
			total := time.Since(start)
			t.Logf("%s: 10 pods added in %v (%v each, slowest %v)", topo,
				total.Round(time.Millisecond), (total / 10).Round(100*time.Microsecond), slowest.Round(100*time.Microsecond))
			if total > 5*time.Second {
				t.Errorf("10 pods took %v", total)
			}
			s := time.Now()
			for i := range 10 {
				if err := n.RemovePod(fmt.Sprintf("x/p%d", i)); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: 10 pods removed in %v", topo, time.Since(s).Round(time.Millisecond))
		})
	}
}

// TestConcurrency: hundreds of probes run at once while pods and
// externals are added and removed from other goroutines.
func TestConcurrency(t *testing.T) {
	n := newNet(t, Bridge)
	var eps []ep
	for i := range 4 {
		e := ep{fmt.Sprintf("x/p%d", i), addrs(fmt.Sprintf("10.1.%d.%d", i%2, 10+i), fmt.Sprintf("fd00:1:%d::%d", i%2, 10+i))}
		mustAddPod(t, n, e.key, addrsString(e.ips)...)
		eps = append(eps, e)
	}
	mustAddPod(t, n, "x/doomed", "10.1.0.99")
	var cases []probeCase
	for len(cases) < 400 {
		cases = append(cases, allPairs(eps, allPorts, true)...)
	}
	var wg sync.WaitGroup
	changes := make([]error, 4)
	wg.Go(func() { changes[0] = n.AddPod("y/new0", addrs("10.1.2.10"), allPorts) })
	wg.Go(func() { changes[1] = n.AddPod("y/new1", addrs("fd00:1:0::20", "10.1.0.20"), allPorts) })
	wg.Go(func() { changes[2] = n.AddExternal(netip.MustParseAddr("198.51.100.7"), allPorts) })
	wg.Go(func() { changes[3] = n.RemovePod("x/doomed") })
	// Probes from the pod being removed either ran before it went or are
	// errors; none may hang or panic.
	for range 50 {
		wg.Go(func() { n.Probe(context.Background(), "x/doomed", netip.MustParseAddr("10.1.0.10"), Port{TCP, 80}) })
	}
	start := time.Now()
	expectProbes(t, n, cases)
	t.Logf("%d probes in parallel with changes: %v", len(cases), time.Since(start).Round(time.Millisecond))
	wg.Wait()
	for _, err := range changes {
		if err != nil {
			t.Error(err)
		}
	}
	expectProbes(t, n, []probeCase{
		{"x/p0", netip.MustParseAddr("10.1.2.10"), Port{UDP, 53}, true},
		{"y/new0", netip.MustParseAddr("10.1.0.20"), Port{SCTP, 9999}, true},
		{"y/new1", netip.MustParseAddr("fd00:1:1::11"), Port{TCP, 80}, true},
		{"198.51.100.7", netip.MustParseAddr("10.1.1.11"), Port{TCP, 80}, true},
		{"x/p1", netip.MustParseAddr("10.1.0.99"), Port{TCP, 80}, false},
	})
}

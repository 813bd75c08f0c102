package bench

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The churn: 50 pod events a second for 20 s; an event that has not reached the kernel 15 s after the churn
// ends fails the benchmark (the agent lost it).
const (
	churnRate     = 50
	churnDuration = 20 * time.Second
	churnWait     = 15 * time.Second
)

// agentChurn sends 50 pod events a second for 20 s through the API server, every one of which changes node-0's
// sets: relabels of peers (half of the events, each pod between relabelledApp and its own app), creations of
// pods like a peer (same namespace, labels and node, addresses 10.200.x.y and fd00::c8:x:y of their own; a
// quarter) and deletions of those pods (a quarter, once their creation is in the kernel). An event's latency
// runs from its last API call returning (the status update of a creation) to the OnSync report of the first
// batch holding one of its addresses. A pod has one event in flight at a time, so no event can cancel another
// before a sync sees it. It reports p50-ms, p99-ms and max-ms of those latencies, agent-mean-ms (the agent's
// own nftpolicy_event_to_kernel_seconds over the churn), sync-mean-ms (its nftpolicy_sync_duration_seconds: an
// event waits for the sync in progress, then for its own), events/s (as sent) and events/batch (how many events
// a batch carried, on average).
func agentChurn(b *testing.B, api *agentAPI, a *inProcAgent, pool []*corev1.Pod) {
	c := &churn{api: api, pending: map[netip.Addr]*churnEvent{}, kinds: map[string]int{}}
	for _, p := range pool {
		c.pool = append(c.pool, &churnPeer{pod: p})
	}
	a.drain()
	before := histograms(b, a.reg)
	stop := make(chan struct{})
	var track sync.WaitGroup
	track.Go(func() { c.track(a.reports, stop) })

	var sent int
	var elapsed time.Duration
	for b.Loop() {
		sent, elapsed = c.run(b)
	}
	deadline := time.Now().Add(churnWait)
	for c.inFlight() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	track.Wait()
	after := histograms(b, a.reg)
	if err := c.failed(); err != nil {
		b.Fatal(err)
	}
	if n := c.inFlight(); n > 0 {
		b.Fatalf("%d of %d events never reached the kernel within %s after the churn (first: %s)", n, sent,
			churnWait, c.firstInFlight())
	}
	lat := make([]time.Duration, 0, len(c.events))
	for _, ev := range c.events {
		lat = append(lat, max(0, ev.seen.Sub(ev.done)))
	}
	b.ReportMetric(percentileMs(lat, 0.50), "p50-ms")
	b.ReportMetric(percentileMs(lat, 0.99), "p99-ms")
	b.ReportMetric(durMs(lat[len(lat)-1]), "max-ms")
	b.ReportMetric(meanSince(before, after, "nftpolicy_event_to_kernel_seconds")*1000, "agent-mean-ms")
	b.ReportMetric(meanSince(before, after, "nftpolicy_sync_duration_seconds")*1000, "sync-mean-ms")
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(len(c.events))/float64(max(1, c.batches)), "events/batch")
	b.Logf("churn: %d events in %s (%d relabels, %d creations, %d deletions) in %d batches; p50 %.1f ms, "+
		"p99 %.1f ms, max %.1f ms; %d syncs, %.1f ms each on average", sent, elapsed.Round(time.Millisecond),
		c.kinds["relabel"], c.kinds["create"], c.kinds["delete"], c.batches, percentileMs(lat, 0.5),
		percentileMs(lat, 0.99), durMs(lat[len(lat)-1]),
		after["nftpolicy_sync_duration_seconds"].count-before["nftpolicy_sync_duration_seconds"].count,
		meanSince(before, after, "nftpolicy_sync_duration_seconds")*1000)
}

// churn is the state of one churn run. Its fields are guarded by mu: the driver, the API calls and the
// tracker of reports all touch them.
type churn struct {
	api *agentAPI

	mu        sync.Mutex
	pool      []*churnPeer
	next      int           // the pool's round-robin cursor
	created   int           // pods created so far (their names and addresses)
	deletable []*corev1.Pod // created pods whose creation is in the kernel, oldest first
	pending   map[netip.Addr]*churnEvent
	events    []*churnEvent // completed
	kinds     map[string]int
	batches   int // batches that held at least one event
	err       error
}

type churnPeer struct {
	pod         *corev1.Pod
	moved, busy bool
}

type churnEvent struct {
	what       string // for messages
	addrs      []netip.Addr
	done, seen time.Time
	// complete runs, under mu, once the API call returned and a batch held the event.
	complete func()
}

// run sends the events, churnRate a second for churnDuration, and returns how many it sent and how long it took.
func (c *churn) run(b *testing.B) (int, time.Duration) {
	tick := time.NewTicker(time.Second / churnRate)
	defer tick.Stop()
	start := time.Now()
	sent := 0
	var calls sync.WaitGroup
	for now := range tick.C {
		if now.Sub(start) >= churnDuration {
			break
		}
		call, ok := c.nextEvent(sent)
		if !ok {
			b.Fatal("churn: no pod free for an event")
		}
		sent++
		calls.Go(call)
	}
	elapsed := time.Since(start)
	calls.Wait()
	return sent, elapsed
}

// nextEvent registers the i-th event and returns the API call that makes it: two relabels, a creation, a
// deletion, in turn (a creation instead when no created pod is ready to go, or no peer is free to relabel).
func (c *churn) nextEvent(i int) (func(), bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i%4 != 1 && (i%4 != 3 || len(c.deletable) > 0) {
		if i%4 == 3 {
			return c.deletion(), true
		}
		if call := c.relabel(); call != nil {
			return call, true
		}
	}
	return c.creation(), true
}

func (c *churn) relabel() func() {
	for range c.pool {
		p := c.pool[c.next]
		c.next = (c.next + 1) % len(c.pool)
		if p.busy {
			continue
		}
		p.busy, p.moved = true, !p.moved
		app := p.pod.Labels["app"]
		if p.moved {
			app = relabelledApp
		}
		ev := c.register("relabel", p.pod, func() { p.busy = false })
		return func() { c.called(ev, setApp(context.Background(), c.api.c, p.pod, app)) }
	}
	return nil
}

func (c *churn) creation() func() {
	tpl := c.pool[c.created%len(c.pool)].pod
	p := tpl.DeepCopy()
	p.Name = fmt.Sprintf("churn-%d", c.created)
	v4, v6 := churnAddrs(c.created)
	p.Status.PodIPs = []corev1.PodIP{{IP: v4.String()}, {IP: v6.String()}}
	c.created++
	ev := c.register("create", p, func() { c.deletable = append(c.deletable, p) })
	return func() { c.called(ev, c.api.createPod(context.Background(), p)) }
}

func (c *churn) deletion() func() {
	p := c.deletable[0]
	c.deletable = c.deletable[1:]
	ev := c.register("delete", p, func() {})
	return func() {
		c.called(ev, c.api.c.Delete(context.Background(), p.DeepCopy(), client.GracePeriodSeconds(0)))
	}
}

// churnAddrs returns the addresses of the n-th pod the churn creates: no pod of Cluster has them.
func churnAddrs(n int) (netip.Addr, netip.Addr) {
	return netip.AddrFrom4([4]byte{10, 200 + byte(n>>16), byte(n >> 8), byte(n)}),
		netip.AddrFrom16([16]byte{0xfd, 11: 0xc8, 13: byte(n >> 16), 14: byte(n >> 8), 15: byte(n)})
}

// register makes an event for p's addresses pending; mu is held.
func (c *churn) register(kind string, p *corev1.Pod, complete func()) *churnEvent {
	c.kinds[kind]++
	ev := &churnEvent{what: kind + " " + p.Namespace + "/" + p.Name, addrs: podAddrs(p), complete: complete}
	for _, a := range ev.addrs {
		c.pending[a] = ev
	}
	return ev
}

// called records that ev's API call returned.
func (c *churn) called(ev *churnEvent, err error) {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.err = cmpOr(c.err, fmt.Errorf("churn: %s: %w", ev.what, err))
		return
	}
	ev.done = now
	c.maybeComplete(ev)
}

// track matches the agent's reports to pending events until stop is closed.
func (c *churn) track(reports <-chan syncReport, stop <-chan struct{}) {
	for {
		select {
		case r := <-reports:
			if r.Err != nil {
				continue
			}
			c.mu.Lock()
			held := false
			for _, a := range planAddrs(r.Plan) {
				ev := c.pending[a]
				if ev == nil || !ev.seen.IsZero() {
					continue
				}
				ev.seen, held = r.at, true
				c.maybeComplete(ev)
			}
			if held {
				c.batches++
			}
			c.mu.Unlock()
		case <-stop:
			return
		}
	}
}

// maybeComplete completes ev once its call returned and a batch held it; mu is held.
func (c *churn) maybeComplete(ev *churnEvent) {
	if ev.done.IsZero() || ev.seen.IsZero() {
		return
	}
	for _, a := range ev.addrs {
		if c.pending[a] == ev {
			delete(c.pending, a)
		}
	}
	c.events = append(c.events, ev)
	ev.complete()
}

func (c *churn) inFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := map[*churnEvent]bool{}
	for _, ev := range c.pending {
		n[ev] = true
	}
	return len(n)
}

func (c *churn) firstInFlight() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range c.pending {
		return fmt.Sprintf("%s, call returned: %t, seen: %t", ev.what, !ev.done.IsZero(), !ev.seen.IsZero())
	}
	return ""
}

func (c *churn) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

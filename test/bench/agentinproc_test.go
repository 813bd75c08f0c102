package bench

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// syncReport is what the in-process agent reported after one sync, with when it did and the exact size of the
// batch it sent.
type syncReport struct {
	controllers.Report
	at    time.Time
	batch kernel.BatchStats
}

// inProcAgent is the agent of one node run in this process (controllers.New), programming a network namespace
// of its own through a kernel.Conn the benchmark holds, so that every report comes with the batch it sent.
type inProcAgent struct {
	reports chan syncReport
	dropped atomic.Int64
	reg     *prometheus.Registry
}

// startInProcAgent starts the agent and waits for its first sync; it stops when b ends.
func startInProcAgent(b *testing.B, cfg *rest.Config, node string) *inProcAgent {
	b.Helper()
	_, path := netnstest.New(b, "agentbench")
	conn, err := kernel.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	a := &inProcAgent{reports: make(chan syncReport, 8192), reg: prometheus.NewRegistry()}
	agent, err := controllers.New(cfg, controllers.Options{NodeName: node, Dataplane: conn, VerifyInterval: -1,
		NoStatus: true, Registerer: a.reg, OnSync: func(r controllers.Report) {
			// Called from the sync loop right after the Sync: LastBatch is that sync's batch.
			select {
			case a.reports <- syncReport{Report: r, at: time.Now(), batch: conn.LastBatch()}:
			default:
				a.dropped.Add(1)
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Start(ctx); err != nil {
			b.Errorf("agent: %v", err)
		}
	})
	b.Cleanup(func() {
		cancel()
		wg.Wait()
		if n := a.dropped.Load(); n > 0 {
			b.Errorf("%d reports dropped (channel full): the latencies miss them", n)
		}
	})
	start := time.Now()
	deadline := time.After(5 * time.Minute)
	for {
		select {
		case r := <-a.reports:
			if r.Err == nil && r.Table != nil {
				b.Logf("in-process agent: first sync after %s: %d groups, %d policies enforced, %d sets, "+
					"sync %s, %d messages", time.Since(start).Round(time.Millisecond), len(r.Node.Groups),
					len(r.Enforced), len(r.Table.Sets), r.Duration.Round(time.Millisecond), r.batch.Messages)
				return a
			}
		case <-deadline:
			b.Fatal("in-process agent: no successful sync within 5 minutes")
		}
	}
}

// drain forgets the reports received so far.
func (a *inProcAgent) drain() {
	for {
		select {
		case <-a.reports:
		default:
			return
		}
	}
}

// waitFor returns the first report whose batch adds or deletes an element holding one of addrs; false after d.
func (a *inProcAgent) waitFor(addrs []netip.Addr, d time.Duration) (syncReport, bool) {
	deadline := time.After(d)
	for {
		select {
		case r := <-a.reports:
			if r.Err == nil && slices.ContainsFunc(planAddrs(r.Plan), func(x netip.Addr) bool { return slices.Contains(addrs, x) }) {
				return r, true
			}
		case <-deadline:
			return syncReport{}, false
		}
	}
}

// planAddrs lists the addresses of the elements p adds or deletes, those of new sets included.
func planAddrs(p *nft.Plan) []netip.Addr {
	if p == nil {
		return nil
	}
	var out []netip.Addr
	for _, s := range p.AddSets {
		for _, e := range s.Elements {
			out = append(out, e.Addr)
		}
	}
	for _, m := range []map[string][]nft.Element{p.AddElements, p.DelElements} {
		for _, es := range m {
			for _, e := range es {
				out = append(out, e.Addr)
			}
		}
	}
	return out
}

// podAddrs parses the addresses of p's status.
func podAddrs(p *corev1.Pod) []netip.Addr {
	var out []netip.Addr
	for _, ip := range p.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil {
			out = append(out, a)
		}
	}
	return out
}

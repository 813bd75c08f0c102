package lab

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/lab/view"
	"github.com/nftpolicy/nftpolicy/internal/labnet"
)

// maxInFlight bounds the probes in flight: a denied probe waits for its timeout, so the probes of a lab run side
// by side, and a matrix takes about one timeout however many pods it has.
const maxInFlight = 512

// endpoint is a pod or an external host that probes go from and to.
type endpoint struct {
	name     string // "namespace/name", or the external's IP
	ips      []netip.Addr
	ports    []labnet.Port // what it listens on
	external bool
}

// probe is one connection attempt.
type probe struct {
	from, to     *endpoint
	fromIP, toIP netip.Addr
	port         labnet.Port
}

// planProbes lists every ordered pair of distinct endpoints (but none from an external host to another) on each
// port the destination listens on (ports, when given, instead), in each address family both have, sorted.
func planProbes(eps []endpoint, ports []labnet.Port) []probe {
	var out []probe
	for i := range eps {
		for j := range eps {
			from, to := &eps[i], &eps[j]
			if i == j || (from.external && to.external) {
				continue
			}
			pp := to.ports
			if ports != nil {
				pp = ports
			}
			for _, pt := range pp {
				for _, fip := range from.ips {
					for _, tip := range to.ips {
						if fip.Is4() == tip.Is4() {
							out = append(out, probe{from: from, to: to, fromIP: fip, toIP: tip, port: pt})
						}
					}
				}
			}
		}
	}
	return out
}

// runProbes sends every probe and sets the evaluator's verdict beside what it observed. A probe whose verdict
// differs from the expected one, or that failed, is sent once more and the second outcome counts: a lost first
// packet is not a policy bug, and a wrong ruleset gives the same answer twice. A probe that fails twice ends the
// run with its error: the lab itself is broken.
func runProbes(ctx context.Context, n *labnet.Net, ev *eval.Evaluator, ps []probe, prog *view.Progress) ([]view.Result, error) {
	res := make([]view.Result, len(ps))
	var done atomic.Int64
	each(len(ps), func(i int) {
		res[i] = probeOnce(ctx, n, ev, ps[i])
		prog.Step(int(done.Add(1)), len(ps))
	})
	var again []int
	for i, r := range res {
		if r.Err != nil || r.Observed != r.Expected {
			again = append(again, i)
		}
	}
	each(len(again), func(k int) { res[again[k]] = probeOnce(ctx, n, ev, ps[again[k]]) })
	var errs []error
	for _, i := range again {
		if res[i].Err != nil {
			errs = append(errs, res[i].Err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%d probes failed: %w", len(errs), errors.Join(errs[:min(len(errs), 5)]...))
	}
	return res, nil
}

// probeOnce sends p and sets what it observed beside the evaluator's verdict, and whether that verdict allows p
// only because of audit mode: the matrix shows such probes apart, since enforcing would deny them.
func probeOnce(ctx context.Context, n *labnet.Net, ev *eval.Evaluator, p probe) view.Result {
	v := ev.Check(p.fromIP, p.toIP, irProto(p.port.Proto), p.port.Number)
	r := view.Result{
		From: p.from.name, To: p.to.name, FromIP: p.fromIP, ToIP: p.toIP,
		Port: p.port.Number, Protocol: string(p.port.Proto),
		Expected: v.Allowed, Audited: v.Audited(), DecidedBy: view.DecidedBy(v),
	}
	ok, err := n.Probe(ctx, p.from.name, p.toIP, p.port)
	if err != nil {
		r.Err = fmt.Errorf("probe %s (%s) -> %s (%s) %s/%d: %w", p.from.name, p.fromIP, p.to.name, p.toIP,
			p.port.Proto, p.port.Number, err)
	}
	r.Observed = ok
	return r
}

func irProto(p labnet.Proto) ir.Protocol {
	switch p {
	case labnet.UDP:
		return ir.UDP
	case labnet.SCTP:
		return ir.SCTP
	}
	return ir.TCP
}

// each runs fn(0..n-1), at most maxInFlight at a time, and waits for all.
func each(n int, fn func(i int)) {
	sem := make(chan struct{}, maxInFlight)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

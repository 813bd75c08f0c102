package lab

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/internal/lab/view"
)

// runOnce runs the scenarios one after another and prints their probes, then the tally. JSON output is written
// only once every scenario has run, so a lab failure never leaves half a result on stdout.
func (l *lab) runOnce(ctx context.Context, scs []*scenario) error {
	var t tally
	var js bytes.Buffer
	for i, sc := range scs {
		if i > 0 {
			if err := l.clearScenario(ctx); err != nil {
				return fmt.Errorf("scenario %s: remove the previous scenario: %w", sc.name, err)
			}
		}
		run, err := l.runScenario(ctx, sc)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.name, err)
		}
		t.add(run.results)
		fmt.Fprintf(l.log, "lab: scenario %s: %s\n", sc.name, run.timings())
		if l.o.Output == "json" {
			if err := writeJSON(&js, sc.name, run.results); err != nil {
				return err
			}
			continue
		}
		if err := l.show(run, false); err != nil {
			return err
		}
	}
	if _, err := js.WriteTo(l.out); err != nil {
		return err
	}
	fmt.Fprintln(l.out, t)
	if t.failed > 0 {
		return fmt.Errorf("%d of %d probes: %w", t.failed, t.passed+t.failed, ErrMismatch)
	}
	return nil
}

// clearScenario removes the objects of the previous scenario and their pods' namespaces.
func (l *lab) clearScenario(ctx context.Context) error {
	if err := clear(ctx, l.c); err != nil {
		return err
	}
	return l.kubelet.sync(ctx)
}

// scenarioRun is what one scenario gave.
type scenarioRun struct {
	name    string
	results []view.Result
	st      *state
	pods    int
	applied time.Duration // objects written, pods wired up
	synced  time.Duration // until the agent held the ruleset
	probed  time.Duration
}

func (r *scenarioRun) timings() string {
	return fmt.Sprintf("%d pods, %s: objects and pods %s, agent synced %s later, %d probes in %s",
		r.pods, r.st.policyCount(), r.applied.Round(time.Millisecond), r.synced.Round(time.Millisecond),
		len(r.results), r.probed.Round(time.Millisecond))
}

// runScenario applies the scenario's objects, waits for the agent and probes.
func (l *lab) runScenario(ctx context.Context, sc *scenario) (*scenarioRun, error) {
	t0 := time.Now()
	l.kubelet.setRequested(sc.ips)
	if err := apply(ctx, l.c, sc, NodeName); err != nil {
		return nil, err
	}
	if err := l.kubelet.sync(ctx); err != nil {
		return nil, err
	}
	run, err := l.probeCurrent(ctx, t0)
	if err != nil {
		return nil, err
	}
	run.name = sc.name
	return run, nil
}

// probeCurrent waits until the agent enforces what the API server holds, and probes every pair.
func (l *lab) probeCurrent(ctx context.Context, t0 time.Time) (*scenarioRun, error) {
	run := &scenarioRun{applied: time.Since(t0)}
	st, err := desired(ctx, l.c, NodeName)
	if err != nil {
		return nil, err
	}
	run.st = st
	t1 := time.Now()
	caughtUp, err := waitCaughtUp(ctx, l.c, l.agentCache)
	if err != nil {
		return nil, err
	}
	if err := l.reps.waitSynced(ctx, st.table, caughtUp); err != nil {
		return nil, err
	}
	run.synced = time.Since(t1)
	if h := l.o.Hooks.AfterSync; h != nil {
		if err := h(l.net.NodeNetnsPath()); err != nil {
			return nil, fmt.Errorf("after-sync hook: %w", err)
		}
	}
	eps := append(l.kubelet.endpoints(), l.externals...)
	run.pods = len(eps) - len(l.externals)
	ps := planProbes(eps, l.ports)
	if len(ps) == 0 {
		return nil, fmt.Errorf("nothing to probe: %d pods and %d external hosts share no address family and port "+
			"(pods need container ports or --ports, and addresses of one family: see --pod-cidr)", run.pods, len(l.externals))
	}
	t2 := time.Now()
	prog := view.NewProgress(l.log, l.term.isTTY(l.log), "probing")
	rs, err := runProbes(ctx, l.net, eval.New(st.node), ps, prog)
	prog.Stop()
	if err != nil {
		return nil, err
	}
	run.results, run.probed = rs, time.Since(t2)
	return run, nil
}

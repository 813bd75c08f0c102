package controllers

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"

	"github.com/nftpolicy/nftpolicy/compiler"
)

// sync lists from the cache (ClusterNetworkPolicies and Nodes too when served), sets aside unenforceable
// policies, builds, compiles and applies. On failure it returns the kind of error for nftpolicy_errors_total.
func (s *NodeSync) sync(ctx context.Context, log logr.Logger, first time.Time, served bool, rep *Report) (string, error) {
	c, err := s.snapshot(ctx, served)
	if err != nil {
		return errList, err
	}
	c.Policies, c.ClusterPolicies, rep.Excluded = s.filter.filter(c.Policies, c.ClusterPolicies, c.Nodes)
	n, err := s.builder.Node(c)
	if err != nil {
		return errBuild, fmt.Errorf("build the IR of node %s: %w", s.node, err)
	}
	desired := compiler.CompileWith(n, *s.compile)
	rep.Node, rep.Enforced = n, enforced(n)
	// Drops logged by new chains may come in as soon as the batch commits: the drop log and the counters know
	// the chains of both tables until the sync has succeeded (then succeeded stores exactly the new ones).
	next := indexChains(n, desired)
	if cur := s.chains.Load(); cur != nil {
		next = cur.withNext(next)
	}
	s.chains.Store(&next)
	plan, err := s.dp.Sync(desired)
	if err != nil {
		// The batch may have been committed even so (its acknowledgements were lost): the next sync may find
		// nothing to apply, and must still cut what these rules deny.
		s.strictPending = s.strict != nil
		return errDataplane, fmt.Errorf("apply to table %s: %w", tableName, err)
	}
	rep.Plan, rep.Table = plan, desired
	changed := s.applied == nil || !plan.Empty() || s.strictPending
	s.succeeded(log, first, rep)
	// With the cluster in audit mode (--audit) every group chain lets its traffic through: nothing to cut.
	if s.strict != nil && changed && !s.compile.Audit {
		// After the table is in force: a flow the new rules deny cannot start again once its entry is gone.
		s.cutDenied(log, rep)
	}
	return "", nil
}

// fail records a failed attempt: the next one is a full resync, and the burst it did not apply stays pending.
func (s *NodeSync) fail(first time.Time, kind string, err error) {
	s.resync = true
	s.burst.restore(first)
	s.metrics.errors.WithLabelValues(kind).Inc()
	s.mu.Lock()
	s.lastErr = err
	s.mu.Unlock()
}

// succeeded records a successful sync: metrics, logs (the plan as nft text at verbosity 4), readiness.
func (s *NodeSync) succeeded(log logr.Logger, first time.Time, rep *Report) {
	now := s.now()
	if s.applied == nil && s.verify > 0 {
		s.nextVerify = now.Add(s.verify)
	}
	s.applied, s.resync = rep.Table, false
	idx := indexChains(rep.Node, rep.Table)
	s.chains.Store(&idx)
	m := s.metrics
	m.lastSuccess.Set(float64(now.UnixNano()) / 1e9)
	ts := statsOfTable(rep.Table)
	m.rules.Set(float64(ts.Rules))
	m.sets.Set(float64(ts.Sets))
	m.elements.Set(float64(ts.Elements))
	m.enforced.Set(float64(len(rep.Enforced)))
	m.excluded.Set(float64(setAside(rep.Excluded)))
	if rep.Repaired {
		m.tamperRepairs.Inc()
	}
	if !rep.Plan.Empty() {
		ps := statsOf(rep.Plan)
		m.batches.Inc()
		m.batchMessages.Observe(float64(ps.Messages))
		m.batchElements.Observe(float64(ps.Elements))
		m.elementChanges.Add(float64(ps.Elements))
		if !first.IsZero() {
			m.eventToKernel.Observe(now.Sub(first).Seconds())
		}
		log.Info("applied batch", "messages", ps.Messages, "elements", ps.Elements, "chains", ps.ChainWrites,
			"rules", ts.Rules, "sets", ts.Sets, "setElements", ts.Elements, "took", now.Sub(rep.Start))
		if v := log.V(4); v.Enabled() {
			v.Info("applied plan", "nft", planText(rep.Plan, rep.Table))
		}
	}
	s.mu.Lock()
	s.synced, s.lastErr = true, nil
	s.mu.Unlock()
}

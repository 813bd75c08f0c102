package controllers

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft"
)

const tableName = "inet " + nft.TableName

// NodeSync is the sync loop of one node: the reconciler behind the controller that controller.go wires up.
// Every reconcile handles the one key of the node; the controller runs one worker, so passes never overlap.
type NodeSync struct {
	node      string
	reader    client.Reader
	informers cache.Informers // optional: read the informers' stores directly
	dp        Dataplane
	filter    *policyFilter
	metrics   *metrics
	burst     *burst
	verify    time.Duration // <= 0: no verification
	onSync    func(Report)
	now       func() time.Time
	compile   *compiler.Options
	strict    *strictMode // nil: strict mode off
	// served tells whether ClusterNetworkPolicy is served (nil: never asked, NetworkPolicy only); cnp follows
	// the answer once the controller exists.
	served     ServedFunc
	cnpRecheck time.Duration
	cnpConfirm time.Duration
	listError  func(runtime.Object) error
	cnp        *clusterPolicies
	// chains describes the group chains of the table in force, for the counters and the drop log.
	chains atomic.Pointer[chainIndex]

	// Owned by the reconcile loop.
	builder    *build.Builder // keeps what it derived from unchanged objects from one sync to the next
	applied    *nft.Table     // what the last successful sync applied; nil before the first
	resync     bool           // the last attempt failed: read the kernel before the next sync
	nextVerify time.Time
	// strictPending: the last strict pass failed, so the next sync runs one even if it changes nothing.
	strictPending bool

	mu      sync.Mutex // guards what readiness checks read
	synced  bool       // a sync has succeeded once
	lastErr error      // error of the last attempt, nil after a success
}

// NodeSyncConfig is what a NodeSync needs.
type NodeSyncConfig struct {
	NodeName string
	// Reader lists Pods, Namespaces and NetworkPolicies: the manager's cache.
	Reader client.Reader
	// Informers, when set, are the informers behind Reader: a sync then reads their stores without copying.
	Informers cache.Informers
	Dataplane Dataplane
	// Recorder receives the Events on policies that cannot be enforced.
	Recorder events.EventRecorder
	// VerifyInterval is the period of verification; <= 0 disables it.
	VerifyInterval time.Duration
	OnSync         func(Report)
	// Compile says what the table does besides enforcing (counters, drop logging); nil: compiler.DefaultOptions.
	Compile *compiler.Options
	// metrics are the collectors to update; nil: new ones on a registry of their own.
	metrics *metrics
	// strict, when set, cuts the established flows a sync's new table denies (Options.Strict).
	strict *strictMode
	// ClusterPolicies tells whether the API server serves ClusterNetworkPolicy (DiscoveryServed); the sync loop
	// then watches ClusterNetworkPolicies and Nodes too. Nil: it enforces NetworkPolicy only, and never asks.
	ClusterPolicies ServedFunc
	// clusterPolicyRecheck is how often ClusterPolicies is asked again; 0: clusterPolicyRecheck.
	clusterPolicyRecheck time.Duration
	// clusterPolicyConfirm spaces the answers confirming that ClusterNetworkPolicy is not served; 0:
	// absentConfirmEvery.
	clusterPolicyConfirm time.Duration
	// listError says why a kind cannot be listed, when known (APIHealth.Failure): the log of an informer that
	// does not sync names it. Nil: not known.
	listError func(runtime.Object) error
}

// NewNodeSync returns the sync loop of one node.
func NewNodeSync(c NodeSyncConfig) (*NodeSync, error) {
	m := c.metrics
	if m == nil {
		var err error
		if m, err = newMetrics(prometheus.NewRegistry()); err != nil {
			return nil, err
		}
	}
	return &NodeSync{
		node:       c.NodeName,
		reader:     c.Reader,
		informers:  c.Informers,
		dp:         c.Dataplane,
		filter:     newPolicyFilter(c.NodeName, c.Recorder),
		builder:    build.NewBuilder(c.NodeName),
		metrics:    m,
		burst:      &burst{now: time.Now},
		verify:     c.VerifyInterval,
		onSync:     c.OnSync,
		now:        time.Now,
		compile:    cmp.Or(c.Compile, &compiler.DefaultOptions),
		strict:     c.strict,
		served:     c.ClusterPolicies,
		cnpRecheck: cmp.Or(c.clusterPolicyRecheck, clusterPolicyRecheck),
		cnpConfirm: cmp.Or(c.clusterPolicyConfirm, absentConfirmEvery),
		listError:  c.listError,
	}, nil
}

// Reconcile runs one pass of the loop. It syncs when events arrived since the last sync, when no sync has
// succeeded yet, after a failure (reading the kernel first: a full resync), and when the periodic verification
// finds the table changed; otherwise it only verifies, when that is due. The returned RequeueAfter brings it
// back for the next verification; an error brings it back with backoff.
func (s *NodeSync) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	log := logf.FromContext(ctx)
	if ctx.Err() != nil {
		return reconcile.Result{}, nil // stopping: start no sync
	}
	// ClusterNetworkPolicies come and go with their CRD: not while this pass reads them.
	served, release := s.cnp.reading()
	defer release()
	if !s.cacheSynced(ctx, served) {
		// Only reachable when the controller stopped before its caches synced (controller-runtime then starts
		// the workers anyway): the table stays as it is.
		log.Info("cache not synced: leaving the table as it is")
		return reconcile.Result{RequeueAfter: time.Second}, nil
	}
	start, first := s.now(), s.burst.take()
	rep := Report{Start: start}
	need, kind, err := s.prepare(log, start, first, &rep)
	if err == nil && !need {
		return s.idle(start), nil
	}
	if err == nil {
		kind, err = s.sync(ctx, log, first, served, &rep)
	}
	if err != nil {
		s.fail(first, kind, err)
		rep.FailedStep = kind
	}
	rep.Duration, rep.Err = s.now().Sub(start), err
	s.metrics.syncDuration.Observe(rep.Duration.Seconds())
	if s.onSync != nil {
		s.onSync(rep)
	}
	if err != nil {
		return reconcile.Result{}, err
	}
	return s.idle(start), nil
}

// cacheSynced reports whether every watched informer has synced, ClusterNetworkPolicies and Nodes when served
// (true without informers: tests on a reader).
func (s *NodeSync) cacheSynced(ctx context.Context, served bool) bool {
	if !s.cnp.decided() {
		return false
	}
	if s.informers == nil {
		return true
	}
	for _, obj := range watched(served) {
		inf, err := s.informers.GetInformer(ctx, obj, cache.BlockUntilSynced(false))
		if err != nil || !inf.HasSynced() {
			return false
		}
	}
	return true
}

// prepare decides whether this pass syncs, after reading the kernel when a full resync or a verification is due.
func (s *NodeSync) prepare(log logr.Logger, now, first time.Time, rep *Report) (bool, string, error) {
	switch {
	case s.resync:
		if _, err := s.dp.Read(); err != nil {
			return false, errRead, fmt.Errorf("full resync: read table %s: %w", tableName, err)
		}
		log.Info("full resync: read the table back from the kernel", "table", tableName)
		return true, "", nil
	case s.applied == nil:
		return true, "", nil
	case s.verify > 0 && !now.Before(s.nextVerify):
		tampered, err := s.verifyTable(now)
		if err != nil {
			return false, errRead, fmt.Errorf("verify: read table %s: %w", tableName, err)
		}
		if tampered {
			log.Info("table deleted or changed by someone else: restoring it", "table", tableName)
			rep.Repaired = true
			return true, "", nil
		}
	}
	// A failed strict pass is tried again without waiting for an event: until then denied flows keep flowing.
	return !first.IsZero() || s.strictPending, "", nil
}

// verifyTable reads the table and reports whether it differs from what was applied. What it read becomes what
// the next Sync diffs against, so that Sync repairs whatever was changed.
func (s *NodeSync) verifyTable(now time.Time) (bool, error) {
	s.nextVerify = now.Add(s.verify)
	cur, err := s.dp.Read()
	if err != nil {
		return false, err
	}
	return !nft.Diff(cur, s.applied).Empty(), nil
}

// idle returns the result that brings the loop back for the next verification.
func (s *NodeSync) idle(now time.Time) reconcile.Result {
	if s.strictPending {
		return reconcile.Result{RequeueAfter: strictRetry}
	}
	if s.verify <= 0 || s.applied == nil {
		return reconcile.Result{}
	}
	return reconcile.Result{RequeueAfter: max(s.nextVerify.Sub(now), time.Millisecond)}
}

// ReadyCheck is a readiness check: ready once a sync has succeeded, and not while the last attempt failed.
func (s *NodeSync) ReadyCheck(_ *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.lastErr != nil:
		return fmt.Errorf("last sync failed: %w", s.lastErr)
	case !s.synced:
		if why := s.cnp.waiting(); why != "" {
			return fmt.Errorf("no successful sync yet: %s", why)
		}
		return errors.New("no successful sync yet")
	}
	return nil
}

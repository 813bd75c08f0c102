package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/nft"
)

// clusterPolicyGV is the API version of ClusterNetworkPolicy the agent reads.
var clusterPolicyGV = schema.GroupVersion{Group: cnp.GroupName, Version: "v1beta1"}

// Timing of the ClusterNetworkPolicy discovery.
const (
	// clusterPolicyRecheck is how often the agent asks again whether ClusterNetworkPolicy is served: a CRD
	// installed (or removed) after the agent started is picked up within this time. One cheap discovery request
	// per node per period.
	clusterPolicyRecheck = 5 * time.Minute
	discoveryBackoffMax  = 30 * time.Second // retries while the API server does not answer: 1 s, doubling
	// An answer that ClusterNetworkPolicy is not served is believed only once absentConfirmations answers in a
	// row, absentConfirmEvery apart, say so: an API server that is starting serves discovery before it has
	// registered the groups of its CRDs, and a single 404 would otherwise switch ClusterNetworkPolicy off —
	// every Admin and Baseline Deny gone from the next sync until the next recheck.
	absentConfirmations = 3
	absentConfirmEvery  = 5 * time.Second
)

// ServedFunc reports whether the API server serves ClusterNetworkPolicy (policy.networking.k8s.io/v1beta1); an
// error means it could not tell (unreachable), and it is asked again.
type ServedFunc func(ctx context.Context) (bool, error)

// DiscoveryServed asks the API server's discovery document of policy.networking.k8s.io/v1beta1 whether it has
// clusternetworkpolicies. Discovery is readable by every authenticated user: it needs no permission.
func DiscoveryServed(d discovery.DiscoveryInterface) ServedFunc {
	return func(context.Context) (bool, error) {
		list, err := d.ServerResourcesForGroupVersion(clusterPolicyGV.String())
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("discovery of %s: %w", clusterPolicyGV, err)
		}
		return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool {
			return r.Name == "clusternetworkpolicies"
		}), nil
	}
}

// clusterPolicies is whether the sync loop reads ClusterNetworkPolicies (and Nodes, which only their nodes peers
// need): only when the API server serves the kind. Without the CRD the agent enforces NetworkPolicy alone and
// says so once in its log; an informer on a kind that is not served would never sync, and the agent would never
// sync either.
//
// It is a syncing source of the sync loop's controller. Start asks discovery (again and again until the API
// server answers); WaitForSync holds the controller's workers back until the first decision, and, when served,
// until the ClusterNetworkPolicy and Node informers have synced: so the first sync of a restarted agent never
// enforces a table without the Admin and Baseline rules the previous one had. Every clusterPolicyRecheck it
// asks again: a CRD installed later is then watched, and one removed (the API server deletes its objects
// first) is no longer.
//
// "Not served" is decided only when confirmed (absentConfirmations answers in a row, confirmEvery apart): while
// served, a 404 changes nothing until then; at start no sync runs until then, the old table staying in force —
// unless that table holds no ClusterNetworkPolicy rules (inForce), when there is nothing to keep: the agent then
// syncs NetworkPolicy at once and goes on confirming, so that a 404 of a starting API server costs seconds, not
// a recheck period.
type clusterPolicies struct {
	served  ServedFunc
	cache   cache.Informers
	watch   func(obj client.Object) source.TypedSource[reconcile.Request] // a source of obj's kind for the sync loop
	changed func(q queue)                                                 // a transition happened: sync
	recheck time.Duration
	// retryAfter is the pause after a failure to follow an answer (discoveryBackoffMax).
	retryAfter time.Duration
	// warnEvery is how often a wait for an informer that does not sync is logged (syncWarnEvery), syncLimit
	// how long it may last before the attempt is given up (clusterPolicyRecheck).
	warnEvery, syncLimit time.Duration
	// listError says why obj's kind cannot be listed, when known (APIHealth.Failure); nil: never known.
	listError func(obj runtime.Object) error
	// confirmEvery spaces the answers that confirm that ClusterNetworkPolicy is not served (absentConfirmEvery).
	confirmEvery time.Duration
	// inForce reports whether the table in the kernel holds ClusterNetworkPolicy rules (nil: assume it does).
	inForce func() bool
	log     logr.Logger

	// Owned by run.
	absent      int  // answers in a row that ClusterNetworkPolicy is not served
	provisional bool // cnpAbsent was decided before it was confirmed (nothing in force to keep)

	// mu is held for reading by a sync pass while it reads the informers, and for writing by a transition, so
	// that no pass asks for (and so re-creates) an informer a transition removes.
	mu      sync.RWMutex
	state   cnpState
	pending string        // why the first decision is not made yet, for readiness ("" once made)
	ready   chan struct{} // closed after the first decision
	once    sync.Once
}

type cnpState uint8

const (
	cnpUnknown cnpState = iota // not decided yet
	cnpAbsent
	cnpServed
)

// clusterPolicyKinds are the kinds watched only while ClusterNetworkPolicy is served.
func clusterPolicyKinds() []client.Object {
	return []client.Object{&cnp.ClusterNetworkPolicy{}, &corev1.Node{}}
}

func (c *clusterPolicies) String() string { return "ClusterNetworkPolicy discovery" }

// Start begins asking discovery in the background; the sources it starts feed q.
func (c *clusterPolicies) Start(ctx context.Context, q queue) error {
	go c.run(ctx, q)
	return nil
}

// WaitForSync returns once the first answer is in and acted on, or ctx ends.
func (c *clusterPolicies) WaitForSync(ctx context.Context) error {
	select {
	case <-c.ready:
		return nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil
		}
		return fmt.Errorf("%s: %w", c, ctx.Err())
	}
}

func (c *clusterPolicies) run(ctx context.Context, q queue) {
	var backoff time.Duration
	failing := false
	for ctx.Err() == nil {
		served, err := c.served(ctx)
		if err != nil {
			// No answer: neither confirms nor breaks a run of "not served" answers.
			if !failing {
				c.log.Info("cannot tell whether ClusterNetworkPolicy is served yet; asking again", "error", err.Error())
				failing = true
			}
			backoff = min(max(2*backoff, time.Second), discoveryBackoffMax)
			if !sleep(ctx, backoff) {
				return
			}
			continue
		}
		failing, backoff = false, 0
		next, err := c.answer(ctx, q, served)
		if err != nil {
			if ctx.Err() == nil {
				c.log.Error(err, "following ClusterNetworkPolicy failed; asking again", "after", c.retryAfter.String())
			}
			if !sleep(ctx, c.retryAfter) {
				return
			}
			continue
		}
		if !sleep(ctx, next) {
			return
		}
	}
}

// answer acts on one answer of discovery and returns when to ask again: soon while a "not served" is being
// confirmed, else after the recheck period.
func (c *clusterPolicies) answer(ctx context.Context, q queue, served bool) (time.Duration, error) {
	c.mu.RLock()
	prev := c.state
	c.mu.RUnlock()
	if served {
		if c.absent > 0 && prev == cnpServed {
			c.log.Info("ClusterNetworkPolicy is served again: it was missing from discovery for a moment",
				"answers", c.absent)
		}
		c.absent, c.provisional = 0, false
		if err := c.decide(ctx, q, true); err != nil {
			return 0, err
		}
		c.firstDecision()
		return c.recheck, nil
	}
	c.absent++
	switch {
	case c.absent >= absentConfirmations:
		if err := c.decide(ctx, q, false); err != nil {
			return 0, err
		}
		c.firstDecision()
		return c.recheck, nil
	case prev == cnpUnknown && !c.tablesHoldTiers():
		c.set(cnpAbsent)
		c.provisional = true
		c.log.Info("ClusterNetworkPolicy is missing from discovery and the table in force holds none of its rules: "+
			"enforcing NetworkPolicy meanwhile; confirming", "apiVersion", clusterPolicyGV.String(),
			"answers", c.absent, "of", absentConfirmations)
		c.changed(q)
		c.firstDecision()
	case c.absent == 1 && prev != cnpAbsent:
		c.log.Info("ClusterNetworkPolicy is missing from discovery: confirming before acting on it (an API server "+
			"that is starting serves discovery before its CRDs' groups)", "apiVersion", clusterPolicyGV.String(),
			"answers", c.absent, "of", absentConfirmations, "every", c.confirmEvery.String())
	}
	if !c.decided() {
		c.setPending(fmt.Sprintf("confirming that ClusterNetworkPolicy is not served (%d of %d answers)",
			c.absent, absentConfirmations))
	}
	return c.confirmEvery, nil
}

// tablesHoldTiers asks inForce (nil: assume the table holds ClusterNetworkPolicy rules).
func (c *clusterPolicies) tablesHoldTiers() bool { return c.inForce == nil || c.inForce() }

// firstDecision marks the first decision made: the sync loop's workers may start.
func (c *clusterPolicies) firstDecision() {
	c.setPending("")
	c.once.Do(func() { close(c.ready) })
}

// tableHoldsTiers reports whether t holds a set of a ClusterNetworkPolicy tier: every tier with a Deny rule
// has one (a tier of Accept rules alone only adds to what the default allows).
func tableHoldsTiers(t *nft.Table) bool {
	return t != nil && slices.ContainsFunc(t.Sets, func(s *nft.Set) bool {
		_, ok := compiler.SetTier(s.Name)
		return ok
	})
}

// decide acts on an answer: it starts watching when the kind became served, stops when it went away.
func (c *clusterPolicies) decide(ctx context.Context, q queue, served bool) error {
	c.mu.RLock()
	prev := c.state
	c.mu.RUnlock()
	switch {
	case served && prev != cnpServed:
		if err := c.startWatching(ctx, q); err != nil {
			// The informers go, and the event handlers the sources registered on them with them: the next
			// attempt starts from scratch and registers one set, not a second.
			return errors.Join(err, c.stopWatching(context.WithoutCancel(ctx)))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.set(cnpServed)
		c.log.Info("ClusterNetworkPolicy is served: enforcing it", "apiVersion", clusterPolicyGV.String())
	case !served && prev == cnpAbsent && c.provisional:
		c.provisional = false
		c.log.Info("ClusterNetworkPolicy is not served by the API server: enforcing NetworkPolicy only; install "+
			"its CRD (config/crd) and the agent starts enforcing it within the recheck period",
			"apiVersion", clusterPolicyGV.String(), "recheck", c.recheck.String())
		return nil // already enforcing NetworkPolicy only
	case !served && prev == cnpServed:
		c.set(cnpAbsent)
		if err := c.stopWatching(ctx); err != nil {
			return err
		}
		c.log.Info("ClusterNetworkPolicy is no longer served: enforcing NetworkPolicy only",
			"apiVersion", clusterPolicyGV.String())
	case !served && prev == cnpUnknown:
		c.set(cnpAbsent)
		c.log.Info("ClusterNetworkPolicy is not served by the API server: enforcing NetworkPolicy only; install "+
			"its CRD (config/crd) and the agent starts enforcing it within the recheck period",
			"apiVersion", clusterPolicyGV.String(), "recheck", c.recheck.String())
	default:
		return nil
	}
	c.changed(q)
	return nil
}

func (c *clusterPolicies) set(s cnpState) {
	c.mu.Lock()
	c.state = s
	c.mu.Unlock()
}

func (c *clusterPolicies) setPending(why string) {
	c.mu.Lock()
	c.pending = why
	c.mu.Unlock()
}

// waiting says why no sync may run yet ("" when one may, and for a nil c), for readiness.
func (c *clusterPolicies) waiting() string {
	if c == nil || c.decided() {
		return ""
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.pending == "" {
		return "waiting for discovery to say whether ClusterNetworkPolicy is served"
	}
	return c.pending
}

// reading holds off transitions while a sync pass reads the informers, and says whether ClusterNetworkPolicies
// (and Nodes) are among them; release ends it. A nil c: never (the agent does not follow them).
func (c *clusterPolicies) reading() (served bool, release func()) {
	if c == nil {
		return false, func() {}
	}
	c.mu.RLock()
	return c.state == cnpServed, c.mu.RUnlock
}

// decided reports whether the first answer is in (always, for a nil c).
func (c *clusterPolicies) decided() bool {
	if c == nil {
		return true
	}
	select {
	case <-c.ready:
		return true
	default:
		return false
	}
}

package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// syncWarnEvery is how often the agent logs that an informer of ClusterNetworkPolicy or Node has not synced
// yet: an error each time, naming the resource, so that a forbidden list (an old ClusterRole) is seen.
const syncWarnEvery = 30 * time.Second

// startWatching starts the sources of the kinds followed while ClusterNetworkPolicy is served and waits for
// their informers to sync, so that the sync loop never reads them before. The wait has no other bound than
// syncLimit (the recheck period): no sync reads ClusterNetworkPolicies before they are all listed (at start no
// sync at all, the old table in force), and an error is logged every warnEvery meanwhile. After syncLimit it
// gives up (an error): its caller stops watching and asks discovery again.
func (c *clusterPolicies) startWatching(ctx context.Context, q queue) error {
	kinds := clusterPolicyKinds()
	srcs := make([]source.TypedSource[reconcile.Request], len(kinds))
	for i, obj := range kinds {
		srcs[i] = c.watch(obj)
		if err := srcs[i].Start(ctx, q); err != nil {
			return fmt.Errorf("watch %s: %w", resourceOf(obj), err)
		}
	}
	for i, obj := range kinds {
		if s, ok := srcs[i].(source.TypedSyncingSource[reconcile.Request]); ok {
			if err := c.waitForSync(ctx, s, obj); err != nil {
				return fmt.Errorf("watch %s: %w", resourceOf(obj), err)
			}
		}
	}
	return nil
}

// waitForSync waits for s to sync, for at most syncLimit, logging every warnEvery that it cannot
// list obj's kind (with why, when the API health tracker knows) and saying so in readiness meanwhile.
func (c *clusterPolicies) waitForSync(ctx context.Context, s source.TypedSyncingSource[reconcile.Request],
	obj client.Object) error {
	wctx, cancel := context.WithTimeout(ctx, c.syncLimit)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.WaitForSync(wctx) }() // on the deadline it stops the source's start, and returns
	tick := time.NewTicker(c.warnEvery)
	defer tick.Stop()
	start := time.Now()
	what := resourceOf(obj)
	for {
		select {
		case err := <-done:
			c.setPending("")
			if err == nil && wctx.Err() != nil && ctx.Err() == nil {
				err = wctx.Err() // a source that returns nil when its context ends
			}
			if err != nil && ctx.Err() == nil {
				return fmt.Errorf("informer not synced after %s: %w", time.Since(start).Round(time.Second), err)
			}
			return nil
		case <-tick.C:
			cause := errors.New("no list has succeeded yet")
			if c.listError != nil {
				if err := c.listError(obj); err != nil {
					cause = err
				}
			}
			c.log.Error(cause, "cannot list "+what+": waiting for it before enforcing ClusterNetworkPolicy "+
				"(RBAC? the agent's ClusterRole must allow list and watch on it)", "resource", what,
				"waiting", time.Since(start).Round(time.Second).String(), "giveUpAfter", c.syncLimit.String())
			c.setPending(fmt.Sprintf("ClusterNetworkPolicy is served, but %s cannot be listed (RBAC?): %v", what, cause))
		}
	}
}

// stopWatching removes the informers of the kinds followed while ClusterNetworkPolicy is served, and with them
// the event handlers of their sources; not while a sync pass reads the informers.
func (c *clusterPolicies) stopWatching(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, obj := range clusterPolicyKinds() {
		if err := c.cache.RemoveInformer(ctx, obj); err != nil {
			errs = append(errs, fmt.Errorf("stop watching %s: %w", resourceOf(obj), err))
		}
	}
	return errors.Join(errs...)
}

// resourceOf names the resource of a kind followed while ClusterNetworkPolicy is served, as RBAC does.
func resourceOf(obj client.Object) string {
	switch obj.(type) {
	case *cnp.ClusterNetworkPolicy:
		return "clusternetworkpolicies." + cnp.GroupName
	case *corev1.Node:
		return "nodes"
	}
	return fmt.Sprintf("%T", obj)
}

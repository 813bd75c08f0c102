package controllers

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// ControllerName names the sync loop's controller in logs and controller-runtime's metrics.
const ControllerName = "nftpolicy-node"

// Backoff of a failed pass: exponential per failure, between these bounds.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 30 * time.Second
)

// +kubebuilder:rbac:groups="",resources=pods;namespaces;nodes,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=policy.networking.k8s.io,resources=clusternetworkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// watched are the kinds the sync loop watches and builds from: ClusterNetworkPolicies and Nodes too when the
// API server serves ClusterNetworkPolicy (clusterPolicies).
func watched(clusterPolicies bool) []client.Object {
	objs := []client.Object{&networkingv1.NetworkPolicy{}, &corev1.Pod{}, &corev1.Namespace{}}
	if clusterPolicies {
		objs = append(objs, clusterPolicyKinds()...)
	}
	return objs
}

// SetupWithManager adds the sync loop's controller to mgr, watching through mgr's cache.
func (s *NodeSync) SetupWithManager(mgr manager.Manager) error {
	c, err := s.NewController(mgr.GetCache(), mgr.GetLogger())
	if err != nil {
		return err
	}
	return mgr.Add(c)
}

// NewController returns the sync loop's controller, not yet started, watching NetworkPolicies, Pods and
// Namespaces through informers, and ClusterNetworkPolicies and Nodes while the API server serves
// ClusterNetworkPolicy (when the NodeSync was given a ServedFunc; see clusterPolicies): one worker, one key, an
// exponential backoff between 100 ms and 30 s after a failure, and no time limit on the first cache sync (no
// pass runs, so nothing is written, before every informer has synced and discovery has answered). One pass is
// queued at start, so a sync happens even in a cluster with no objects.
func (s *NodeSync) NewController(informers cache.Cache, log logr.Logger) (controller.Controller, error) {
	c, err := controller.NewUnmanaged(ControllerName, controller.Options{
		Reconciler:              s,
		MaxConcurrentReconciles: 1,
		CacheSyncTimeout:        100 * 365 * 24 * time.Hour, // wait for the API server as long as it takes
		RateLimiter:             workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](backoffMin, backoffMax),
		SkipNameValidation:      new(true), // an agent restarted in the same process (tests) reuses the name
		NeedLeaderElection:      new(false),
		Logger:                  log,
	})
	if err != nil {
		return nil, fmt.Errorf("controller %s: %w", ControllerName, err)
	}
	key := reconcile.Request{NamespacedName: types.NamespacedName{Name: s.node}}
	sources := []source.Source{
		source.Kind(informers, &networkingv1.NetworkPolicy{}, enqueue[*networkingv1.NetworkPolicy]{key, s.burst}),
		source.Kind(informers, &corev1.Pod{}, enqueue[*corev1.Pod]{key, s.burst}),
		source.Kind(informers, &corev1.Namespace{}, enqueue[*corev1.Namespace]{key, s.burst}),
		source.Func(func(_ context.Context, q queue) error { q.Add(key); return nil }),
	}
	if s.served != nil {
		s.cnp = &clusterPolicies{served: s.served, cache: informers, recheck: s.cnpRecheck,
			confirmEvery: s.cnpConfirm, retryAfter: discoveryBackoffMax, warnEvery: syncWarnEvery,
			syncLimit: clusterPolicyRecheck,
			listError: s.listError, log: log.WithName("clusterpolicies"), ready: make(chan struct{}),
			// Read before the first sync only (no pass runs before the first decision).
			inForce: func() bool {
				t, err := s.dp.Read()
				return err != nil || tableHoldsTiers(t)
			},
			watch: func(obj client.Object) source.Source {
				switch obj := obj.(type) {
				case *cnp.ClusterNetworkPolicy:
					return source.Kind(informers, obj, enqueue[*cnp.ClusterNetworkPolicy]{key, s.burst})
				case *corev1.Node:
					return source.Kind(informers, obj, enqueue[*corev1.Node]{key, s.burst})
				}
				panic(fmt.Sprintf("no source for %T", obj))
			},
			changed: func(q queue) { s.burst.mark(); q.Add(key) },
		}
		sources = append(sources, s.cnp)
	}
	for _, src := range sources {
		if err := c.Watch(src); err != nil {
			return nil, fmt.Errorf("controller %s: watch: %w", ControllerName, err)
		}
	}
	return c, nil
}

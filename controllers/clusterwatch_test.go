package controllers

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// syncFails is a source whose first fails calls of WaitForSync fail (after the source has registered its event
// handler, as a real one whose informer does not sync has).
type syncFails struct {
	source.TypedSyncingSource[reconcile.Request]
	fails *atomic.Int32
}

func (s syncFails) WaitForSync(ctx context.Context) error {
	if s.fails.Add(-1) >= 0 {
		if err := s.TypedSyncingSource.WaitForSync(ctx); err != nil {
			return err
		}
		return errors.New("injected: cache did not sync")
	}
	return s.TypedSyncingSource.WaitForSync(ctx)
}

// neverSyncs is a source whose informer never syncs: WaitForSync returns only when its context ends, with an
// error on a deadline as source.Kind does.
type neverSyncs struct{ waits *atomic.Int32 }

func (neverSyncs) Start(context.Context, queue) error { return nil }
func (neverSyncs) String() string                     { return "never syncs" }
func (s neverSyncs) WaitForSync(ctx context.Context) error {
	s.waits.Add(1)
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return errors.New("timed out waiting for cache to be synced")
}

// lockedInformers are fake informers safe for the sources' goroutines, which make them on first use (the fake
// keeps them in a map without a lock), and for the removals of a transition.
type lockedInformers struct {
	*informertest.FakeInformers
	mu sync.Mutex
}

func (l *lockedInformers) GetInformer(ctx context.Context, obj client.Object, opts ...cache.InformerGetOption) (cache.Informer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FakeInformers.GetInformer(ctx, obj, opts...)
}

func (l *lockedInformers) RemoveInformer(ctx context.Context, obj client.Object) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FakeInformers.RemoveInformer(ctx, obj)
}

func (l *lockedInformers) FakeInformerFor(ctx context.Context, obj client.Object) (*controllertest.FakeInformer, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.FakeInformers.FakeInformerFor(ctx, obj)
}

// followCNP starts a clusterPolicies on fake informers, discovery saying served, whose sources watch makes.
func followCNP(t *testing.T, informers *lockedInformers, log logr.Logger,
	watch func(client.Object) source.TypedSource[reconcile.Request], tweak func(*clusterPolicies)) *clusterPolicies {
	t.Helper()
	c := &clusterPolicies{served: newServed(true).ask, cache: informers, watch: watch, changed: func(queue) {},
		recheck: time.Hour, retryAfter: 10 * time.Millisecond, warnEvery: time.Hour, syncLimit: time.Hour,
		confirmEvery: 10 * time.Millisecond, log: log, ready: make(chan struct{})}
	if tweak != nil {
		tweak(c)
	}
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); q.ShutDown() })
	if err := c.Start(ctx, q); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClusterPolicyRetryRegistersOneHandler: when following ClusterNetworkPolicy fails after a source has
// registered its event handler (the Node informer does not sync), the retry does not register a second one on
// the same informer: an event on a ClusterNetworkPolicy reaches the sync loop once.
func TestClusterPolicyRetryRegistersOneHandler(t *testing.T) {
	informers := &lockedInformers{FakeInformers: &informertest.FakeInformers{Scheme: newScheme(t)}}
	var creates, nodeFails atomic.Int32
	nodeFails.Store(1)
	c := followCNP(t, informers, testr.New(t), func(obj client.Object) source.TypedSource[reconcile.Request] {
		switch obj := obj.(type) {
		case *cnp.ClusterNetworkPolicy:
			return source.Kind(informers, obj, handler.TypedFuncs[*cnp.ClusterNetworkPolicy, reconcile.Request]{
				CreateFunc: func(context.Context, event.TypedCreateEvent[*cnp.ClusterNetworkPolicy],
					workqueue.TypedRateLimitingInterface[reconcile.Request]) {
					creates.Add(1)
				}})
		case *corev1.Node:
			return syncFails{source.Kind(informers, obj, handler.TypedFuncs[*corev1.Node, reconcile.Request]{}), &nodeFails}
		}
		panic(obj)
	}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if served, release := c.reading(); !served {
		release()
		t.Fatal("not served after the retry")
	} else {
		release()
	}
	if nodeFails.Load() >= 0 {
		t.Fatal("the Node source never failed: the test proves nothing")
	}
	fi, err := informers.FakeInformerFor(ctx, &cnp.ClusterNetworkPolicy{})
	if err != nil {
		t.Fatal(err)
	}
	fi.Add(denyClientsToWeb("p"))
	if n := creates.Load(); n != 1 {
		t.Errorf("one ClusterNetworkPolicy created reached the handlers %d times, want once", n)
	}
}

// lines collects log lines.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) logger() logr.Logger {
	return funcr.New(func(prefix, args string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.all = append(l.all, prefix+" "+args)
	}, funcr.Options{})
}

func (l *lines) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.all {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// TestClusterPolicyInformerThatCannotList: served, but the ClusterNetworkPolicy informer never syncs (its list
// is forbidden): no decision is made (no sync), an error naming the resource and the API server's answer is
// logged every warnEvery, not more, and readiness says why; after syncLimit the agent gives up, stops watching,
// and asks discovery again.
func TestClusterPolicyInformerThatCannotList(t *testing.T) {
	const warnEvery, limit = 40 * time.Millisecond, 400 * time.Millisecond
	informers := &lockedInformers{FakeInformers: &informertest.FakeInformers{Scheme: newScheme(t)}}
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: cnp.GroupName, Resource: "clusternetworkpolicies"},
		"", errors.New(`User "system:serviceaccount:nftpolicy-system:agent" cannot list resource`))
	var waits atomic.Int32
	var log lines
	sv := newServed(true)
	begin := time.Now()
	c := followCNP(t, informers, log.logger(), func(obj client.Object) source.TypedSource[reconcile.Request] {
		if _, ok := obj.(*cnp.ClusterNetworkPolicy); ok {
			return neverSyncs{&waits}
		}
		return source.Kind(informers, obj.(*corev1.Node), handler.TypedFuncs[*corev1.Node, reconcile.Request]{})
	}, func(c *clusterPolicies) {
		c.served, c.warnEvery, c.syncLimit = sv.ask, warnEvery, limit
		c.listError = func(obj runtime.Object) error {
			if _, ok := obj.(*cnp.ClusterNetworkPolicy); ok {
				return forbidden
			}
			return nil
		}
	})
	time.Sleep(limit / 2)
	const msg = "cannot list clusternetworkpolicies.policy.networking.k8s.io"
	elapsed := time.Since(begin)
	if n, most := log.count(msg), int(elapsed/warnEvery)+1; n < 2 || n > most {
		t.Errorf("logged %q %d times in %s, want 2 to %d (every %s)", msg, n, elapsed, most, warnEvery)
	}
	if n := log.count("is forbidden"); n == 0 {
		t.Errorf("the log does not say why: %q", log.all)
	}
	if c.decided() {
		t.Error("decided while an informer has not synced: a sync could run without ClusterNetworkPolicies")
	}
	if why := c.waiting(); !strings.Contains(why, "clusternetworkpolicies.policy.networking.k8s.io cannot be listed (RBAC?)") ||
		!strings.Contains(why, "forbidden") {
		t.Errorf("readiness says %q", why)
	}
	for start := time.Now(); waits.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("no second attempt after giving up (%d waits)", waits.Load())
		}
	}
	if n := sv.asked.Load(); n < 2 {
		t.Errorf("discovery asked %d times, want again after giving up", n)
	}
	if n := log.count("following ClusterNetworkPolicy failed"); n < 1 {
		t.Errorf("giving up not logged: %q", log.all)
	}
}

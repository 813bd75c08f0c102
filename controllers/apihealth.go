package controllers

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// APIHealth tells whether the informers can reach the API server, for /readyz.
//
// It sits between each informer and its list/watch calls (NewInformer wraps the ListerWatcher), so it sees
// exactly what the reflector sees: a List or Watch call that fails starts (or continues) a failure streak for
// that resource; one that succeeds ends it. An accepted Watch ends it only once it has proved itself (see
// settle): after an outage the first watch is often accepted and then ends at once with 410 "too old resource
// version", and the reflector waits out a backoff grown during the outage (up to 30 s) before it lists again —
// still disconnected, so still not ready. A List that fails with 410 is the server answering, not an outage;
// so is 404, which means the kind is not served: a ClusterNetworkPolicy CRD removed while the agent watches it,
// until the agent's next look at discovery stops the watch (clusterPolicies).
//
// Check fails once any resource has been failing for longer than the threshold, so a single dropped
// connection does not flip readiness, naming the resource and the last error. The start and the end of every
// streak are logged (the probe endpoints withhold the reasons of a failed check).
type APIHealth struct {
	after time.Duration
	now   func() time.Time
	log   logr.Logger

	mu      sync.Mutex
	failing map[string]apiFailure // by resource type
}

type apiFailure struct {
	since time.Time
	err   error
}

// NewAPIHealth returns a tracker whose Check fails after a resource has been failing for longer than after.
func NewAPIHealth(after time.Duration) *APIHealth {
	return &APIHealth{after: after, now: time.Now, failing: map[string]apiFailure{},
		log: logf.Log.WithName("apihealth")}
}

// NewInformer has the signature of cache.Options.NewInformer: it builds the usual shared informer on a
// ListerWatcher that reports every call's outcome to h.
func (h *APIHealth) NewInformer(lw toolscache.ListerWatcher, obj runtime.Object, resync time.Duration,
	indexers toolscache.Indexers) toolscache.SharedIndexInformer {
	return toolscache.NewSharedIndexInformer(h.wrap(lw, fmt.Sprintf("%T", obj)), obj, resync, indexers)
}

// Failure returns the last error of the failure streak of obj's kind (a failed list or watch, e.g. forbidden),
// nil while its calls succeed.
func (h *APIHealth) Failure(obj runtime.Object) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f, ok := h.failing[strings.TrimPrefix(fmt.Sprintf("%T", obj), "*")]; ok {
		return f.err
	}
	return nil
}

func (h *APIHealth) wrap(lw toolscache.ListerWatcher, resource string) *toolscache.ListWatch {
	inner := toolscache.ToListerWatcherWithContext(lw)
	resource = strings.TrimPrefix(resource, "*")
	return &toolscache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			obj, err := inner.ListWithContext(ctx, opts)
			h.observe(ctx, resource, "list", err)
			return obj, err
		},
		WatchFuncWithContext: func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			w, err := inner.WatchWithContext(ctx, opts)
			if err != nil {
				h.observe(ctx, resource, "watch", err)
				return w, err
			}
			return h.settle(ctx, resource, w), nil
		},
	}
}

func (h *APIHealth) observe(ctx context.Context, resource, verb string, err error) {
	if ctx.Err() != nil {
		return // shutting down
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.failing[resource]
	if err == nil || apierrors.IsResourceExpired(err) || apierrors.IsGone(err) || apierrors.IsNotFound(err) {
		if ok {
			h.log.Info("API server reachable again", "resource", resource, "after", h.now().Sub(f.since).String())
			delete(h.failing, resource)
		}
		return
	}
	if !ok {
		f.since = h.now()
		h.log.Info("API server unreachable: keeping the ruleset in force", "resource", resource, "call", verb,
			"error", err.Error())
	}
	f.err = fmt.Errorf("%s %s: %w", verb, resource, err)
	h.failing[resource] = f
}

// Check is a readiness check: it fails while some resource has been failing for longer than the threshold.
func (h *APIHealth) Check(_ *http.Request) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	var msgs []string
	for _, f := range h.failing {
		if d := now.Sub(f.since); d >= h.after {
			msgs = append(msgs, fmt.Sprintf("failing for %s: %v", d.Round(time.Second), f.err))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	slices.Sort(msgs)
	return fmt.Errorf("API server unreachable: %s", strings.Join(msgs, "; "))
}

// settleAfter is how long an accepted watch must stay open without an error event before it counts as
// connected, when no event arrives sooner.
const settleAfter = time.Second

// settle passes w's events through and ends the resource's failure streak once the watch has delivered an
// event that is not an error, or has stayed open for settleAfter; an error event first (410 Gone after an
// outage) leaves the streak running until the reflector's next List succeeds.
func (h *APIHealth) settle(ctx context.Context, resource string, w watch.Interface) watch.Interface {
	sw := &settlingWatch{inner: w, out: make(chan watch.Event), stop: make(chan struct{})}
	go func() {
		defer close(sw.out)
		timer := time.NewTimer(settleAfter)
		defer timer.Stop()
		decided := false
		in := w.ResultChan()
		for {
			select {
			case ev, ok := <-in:
				if !ok {
					return
				}
				if !decided {
					decided = true
					if ev.Type != watch.Error {
						h.observe(ctx, resource, "watch", nil)
					}
				}
				select {
				case sw.out <- ev:
				case <-sw.stop:
					return
				}
			case <-timer.C:
				if !decided {
					decided = true
					h.observe(ctx, resource, "watch", nil)
				}
			case <-sw.stop:
				return
			}
		}
	}()
	return sw
}

// settlingWatch is the watch settle hands to the reflector.
type settlingWatch struct {
	inner watch.Interface
	out   chan watch.Event
	stop  chan struct{}
	once  sync.Once
}

func (w *settlingWatch) Stop() {
	w.once.Do(func() {
		close(w.stop)
		w.inner.Stop()
	})
}

func (w *settlingWatch) ResultChan() <-chan watch.Event { return w.out }

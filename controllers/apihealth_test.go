package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	toolscache "k8s.io/client-go/tools/cache"
)

// fakeLW fails while err is set; last is the last watch it handed out.
type fakeLW struct {
	err  error
	last *watch.FakeWatcher
}

func (f *fakeLW) lw() *toolscache.ListWatch {
	return &toolscache.ListWatch{
		ListWithContextFunc: func(context.Context, metav1.ListOptions) (runtime.Object, error) {
			if f.err != nil {
				return nil, f.err
			}
			return &corev1.PodList{}, nil
		},
		WatchFuncWithContext: func(context.Context, metav1.ListOptions) (watch.Interface, error) {
			if f.err != nil {
				return nil, f.err
			}
			f.last = watch.NewFake()
			return f.last, nil
		},
	}
}

func TestAPIHealthFailsOnlyAfterAFailureStreakOutlastsTheThreshold(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewAPIHealth(30 * time.Second)
	h.now = func() time.Time { return now }
	src := &fakeLW{}
	lw := h.wrap(src.lw(), "*v1.Pod")
	ctx := context.Background()

	if _, err := lw.ListWithContext(ctx, metav1.ListOptions{}); err != nil || h.Check(nil) != nil {
		t.Fatalf("healthy: list %v, check %v", err, h.Check(nil))
	}
	src.err = errors.New("dial tcp 10.0.0.1:6443: connect: connection refused")
	lw.WatchWithContext(ctx, metav1.ListOptions{})
	now = now.Add(20 * time.Second)
	lw.ListWithContext(ctx, metav1.ListOptions{})
	if err := h.Check(nil); err != nil {
		t.Errorf("not ready after 20s of failures, threshold 30s: %v", err)
	}
	now = now.Add(15 * time.Second)
	err := h.Check(nil)
	if err == nil || !strings.Contains(err.Error(), "list v1.Pod") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("after 35s of failures: %v, want unreachable naming the resource and the error", err)
	}

	// The server answers "resourceVersion too old": reachable.
	src.err = apierrors.NewResourceExpired("too old resource version")
	lw.WatchWithContext(ctx, metav1.ListOptions{})
	if err := h.Check(nil); err != nil {
		t.Errorf("an expired resourceVersion counts as unreachable: %v", err)
	}

	// Nor is "not found": the kind is not served (a CRD removed), which discovery deals with.
	src.err = apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC"))
	lw.ListWithContext(ctx, metav1.ListOptions{})
	src.err = apierrors.NewNotFound(schema.GroupResource{Group: "policy.networking.k8s.io", Resource: "clusternetworkpolicies"}, "")
	lw.ListWithContext(ctx, metav1.ListOptions{})
	now = now.Add(time.Minute)
	if err := h.Check(nil); err != nil {
		t.Errorf("a kind that is not served counts as unreachable: %v", err)
	}

	// A new streak starts from its own first failure; a successful watch ends it.
	src.err = apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "", errors.New("RBAC"))
	lw.WatchWithContext(ctx, metav1.ListOptions{})
	now = now.Add(31 * time.Second)
	if err := h.Check(nil); err == nil {
		t.Error("ready after 31s of forbidden watches")
	}
	// An accepted watch whose first event is an error (410 after an outage) is still disconnected.
	src.err = nil
	w, _ := lw.WatchWithContext(ctx, metav1.ListOptions{})
	go src.last.Error(&metav1.Status{Code: 410, Reason: metav1.StatusReasonExpired})
	<-w.ResultChan()
	if err := h.Check(nil); err == nil {
		t.Error("ready after a watch that was accepted and then ended with 410")
	}
	w.Stop()
	// One that delivers an event is connected.
	w, _ = lw.WatchWithContext(ctx, metav1.ListOptions{})
	go src.last.Add(&corev1.Pod{})
	<-w.ResultChan()
	if err := h.Check(nil); err != nil {
		t.Errorf("not ready after a watch delivered an event: %v", err)
	}
	w.Stop()

	// Errors while shutting down are not failures.
	src.err = errors.New("context canceled")
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	lw.ListWithContext(cctx, metav1.ListOptions{})
	now = now.Add(time.Hour)
	if err := h.Check(nil); err != nil {
		t.Errorf("shutdown counted as a failure: %v", err)
	}
}

package controllers

import (
	"context"
	"maps"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// enqueue is the event handler of every watch: whatever the object, it enqueues the one key of the node's sync
// loop, so a burst of events coalesces into as few syncs as the loop has time for, and marks the burst.
// Updates that change nothing the IR reads (status conditions, annotations, a resync) are dropped.
type enqueue[T client.Object] struct {
	key   reconcile.Request
	burst *burst
}

type queue = workqueue.TypedRateLimitingInterface[reconcile.Request]

func (e enqueue[T]) Create(_ context.Context, _ event.TypedCreateEvent[T], q queue) { e.add(q) }
func (e enqueue[T]) Delete(_ context.Context, _ event.TypedDeleteEvent[T], q queue) { e.add(q) }
func (e enqueue[T]) Generic(_ context.Context, _ event.TypedGenericEvent[T], q queue) {
	e.add(q)
}

func (e enqueue[T]) Update(_ context.Context, ev event.TypedUpdateEvent[T], q queue) {
	if changed(ev.ObjectOld, ev.ObjectNew) {
		e.add(q)
	}
}

func (e enqueue[T]) add(q queue) {
	e.burst.mark()
	q.Add(e.key)
}

// changed reports whether an update may change the IR: labels, spec or status of a Pod, labels or the audit
// annotation of a Namespace, the spec of a NetworkPolicy or ClusterNetworkPolicy, labels or status.addresses of a
// Node (its other status changes every few minutes on every node, and means nothing here). Objects of other
// types always count as changed.
func changed(oldObj, newObj client.Object) bool {
	switch o := oldObj.(type) {
	case *corev1.Pod:
		n, ok := newObj.(*corev1.Pod)
		return !ok || !maps.Equal(o.Labels, n.Labels) || !equality.Semantic.DeepEqual(o.Spec, n.Spec) ||
			!equality.Semantic.DeepEqual(o.Status, n.Status)
	case *corev1.Namespace:
		n, ok := newObj.(*corev1.Namespace)
		// The cache keeps only the audit annotation (TransformNamespace).
		return !ok || !maps.Equal(o.Labels, n.Labels) || !maps.Equal(o.Annotations, n.Annotations)
	case *networkingv1.NetworkPolicy:
		n, ok := newObj.(*networkingv1.NetworkPolicy)
		return !ok || !equality.Semantic.DeepEqual(o.Spec, n.Spec)
	case *cnp.ClusterNetworkPolicy:
		n, ok := newObj.(*cnp.ClusterNetworkPolicy)
		return !ok || !equality.Semantic.DeepEqual(o.Spec, n.Spec)
	case *corev1.Node:
		n, ok := newObj.(*corev1.Node)
		return !ok || !maps.Equal(o.Labels, n.Labels) ||
			!equality.Semantic.DeepEqual(o.Status.Addresses, n.Status.Addresses)
	}
	return true
}

package controllers

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// CacheOptions are the manager's cache options: Pods, Namespaces, NetworkPolicies, ClusterNetworkPolicies and
// Nodes cut down by the transform functions of transform.go, managed fields stripped from anything else, and every informer's list and watch
// calls reported to health (nil: not tracked).
func CacheOptions(health *APIHealth) cache.Options {
	o := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Pod{}:                 {Transform: TransformPod},
			&corev1.Namespace{}:           {Transform: TransformNamespace},
			&networkingv1.NetworkPolicy{}: {Transform: TransformNetworkPolicy},
			&cnp.ClusterNetworkPolicy{}:   {Transform: TransformClusterNetworkPolicy},
			&corev1.Node{}:                {Transform: TransformNode},
		},
	}
	if health != nil {
		o.NewInformer = health.NewInformer
	}
	return o
}

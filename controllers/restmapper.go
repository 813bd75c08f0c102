package controllers

import (
	"net/http"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// newRESTMapper knows the kinds the agent watches and writes without asking the API server, and asks it
// (discovery, lazily) about any other. The manager needs a mapping for every watched kind when it is built: with
// discovery alone, an agent started while the API server is unreachable would fail at once and crash-loop
// instead of keeping its table in force and waiting, not ready.
func newRESTMapper(cfg *rest.Config, hc *http.Client) (meta.RESTMapper, error) {
	dynamic, err := apiutil.NewDynamicRESTMapper(cfg, hc)
	if err != nil {
		return nil, err
	}
	static := meta.NewDefaultRESTMapper(nil)
	static.Add(corev1.SchemeGroupVersion.WithKind("Pod"), meta.RESTScopeNamespace)
	static.Add(corev1.SchemeGroupVersion.WithKind("Namespace"), meta.RESTScopeRoot)
	static.Add(networkingv1.SchemeGroupVersion.WithKind("NetworkPolicy"), meta.RESTScopeNamespace)
	static.Add(eventsv1.SchemeGroupVersion.WithKind("Event"), meta.RESTScopeNamespace)
	static.Add(corev1.SchemeGroupVersion.WithKind("Node"), meta.RESTScopeRoot)
	static.Add(v1alpha1.GroupVersion.WithKind("NodePolicyStatus"), meta.RESTScopeRoot)
	// Watched only once discovery says it is served (clusterPolicies).
	static.Add(clusterPolicyGV.WithKind("ClusterNetworkPolicy"), meta.RESTScopeRoot)
	return staticFirst{static, dynamic}, nil
}

// staticFirst answers from static, and from dynamic what static does not know.
type staticFirst struct{ static, dynamic meta.RESTMapper }

func first[T any](a func() (T, error), b func() (T, error)) (T, error) {
	v, err := a()
	if meta.IsNoMatchError(err) {
		return b()
	}
	return v, err
}

func (m staticFirst) KindFor(r schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	return first(func() (schema.GroupVersionKind, error) { return m.static.KindFor(r) },
		func() (schema.GroupVersionKind, error) { return m.dynamic.KindFor(r) })
}

func (m staticFirst) KindsFor(r schema.GroupVersionResource) ([]schema.GroupVersionKind, error) {
	return first(func() ([]schema.GroupVersionKind, error) { return m.static.KindsFor(r) },
		func() ([]schema.GroupVersionKind, error) { return m.dynamic.KindsFor(r) })
}

func (m staticFirst) ResourceFor(r schema.GroupVersionResource) (schema.GroupVersionResource, error) {
	return first(func() (schema.GroupVersionResource, error) { return m.static.ResourceFor(r) },
		func() (schema.GroupVersionResource, error) { return m.dynamic.ResourceFor(r) })
}

func (m staticFirst) ResourcesFor(r schema.GroupVersionResource) ([]schema.GroupVersionResource, error) {
	return first(func() ([]schema.GroupVersionResource, error) { return m.static.ResourcesFor(r) },
		func() ([]schema.GroupVersionResource, error) { return m.dynamic.ResourcesFor(r) })
}

func (m staticFirst) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	return first(func() (*meta.RESTMapping, error) { return m.static.RESTMapping(gk, versions...) },
		func() (*meta.RESTMapping, error) { return m.dynamic.RESTMapping(gk, versions...) })
}

func (m staticFirst) RESTMappings(gk schema.GroupKind, versions ...string) ([]*meta.RESTMapping, error) {
	return first(func() ([]*meta.RESTMapping, error) { return m.static.RESTMappings(gk, versions...) },
		func() ([]*meta.RESTMapping, error) { return m.dynamic.RESTMappings(gk, versions...) })
}

func (m staticFirst) ResourceSingularizer(resource string) (string, error) {
	return first(func() (string, error) { return m.static.ResourceSingularizer(resource) },
		func() (string, error) { return m.dynamic.ResourceSingularizer(resource) })
}

// Package manifest reads Kubernetes objects from files the way `kubectl get -o yaml` (or -o json) prints them:
// multi-document YAML, JSON, and `v1 List` wrappers, holding Namespaces, Pods, Nodes, NetworkPolicies and
// ClusterNetworkPolicies (policy.networking.k8s.io v1beta1, or v1alpha2 read as v1beta1: the schemas are one).
//
// Objects are read as the API server reads them: keys are case-sensitive, a key given twice is an error, names,
// namespaces and labels must be valid. Unknown keys are ignored (output of older and newer clusters loads), except
// under the spec of a NetworkPolicy or ClusterNetworkPolicy, where a typo would silently change the policy, and
// except keys that spell a known field in another case.
//
// Every problem is one error naming the file, the document, the object ("Kind ns/name") and the field path with
// list indexes; a load either returns every object or none. It does not interpret policy semantics (package build
// does, and its errors name the object as Objects.Sources keys it, so callers can prefix the file).
package manifest

// Package manifest reads Kubernetes objects from files the way `kubectl get -o yaml` (or -o json) prints them:
// multi-document YAML, JSON, and `v1 List` wrappers, holding Namespaces, Pods and NetworkPolicies.
//
// Every problem is one error naming the file, the object and the field; a load either returns every object or
// none. It does not interpret NetworkPolicy semantics (package build does).
package manifest

// Package manifest reads Kubernetes objects from files the way `kubectl get -o yaml` (or -o json) prints them:
// multi-document YAML, JSON, and `v1 List` wrappers, holding Namespaces, Pods and NetworkPolicies.
//
// Objects are read as the API server reads them: keys are case-sensitive, a key given twice is an error, names,
// namespaces and labels must be valid. Unknown keys are ignored (output of older and newer clusters loads), except
// under a NetworkPolicy's spec, where a typo would silently widen the policy, and except keys that spell a known
// field in another case.
//
// Every problem is one error naming the file, the document, the object ("Kind ns/name") and the field path with
// list indexes; a load either returns every object or none. It does not interpret NetworkPolicy semantics (package
// build does).
package manifest

// Package v1alpha1 holds nftpolicy's own API group, nftpolicy.dev/v1alpha1: the types nftpolicy adds to a
// cluster (the per-node enforcement status the agent reports). NetworkPolicy itself is the upstream
// networking.k8s.io/v1 type; nothing here redefines it.
//
// +kubebuilder:object:generate=true
// +groupName=nftpolicy.dev
package v1alpha1

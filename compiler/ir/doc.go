// Package ir is the intermediate representation between Kubernetes objects and nftables: for one node, which
// local pods are isolated in each direction and, for each group of pods that share the same policies, the union of
// allowed peers × ports with every selector resolved to addresses and every named port resolved to numbers, and
// the ordered Admin and Baseline ClusterNetworkPolicy rules that apply to them.
//
// It is plain data: no Kubernetes client types, no nftables types. The builder (package build) produces it from
// Namespaces, Pods, Nodes, NetworkPolicies and ClusterNetworkPolicies; the compiler (package compiler) turns it
// into nftables objects.
package ir

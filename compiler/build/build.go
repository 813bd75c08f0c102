package build

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Cluster is the input of the builder: a snapshot of the objects it reads. Nil entries are skipped; the same
// objects in any order give the same IR.
type Cluster struct {
	Namespaces []*corev1.Namespace
	Pods       []*corev1.Pod
	Policies   []*networkingv1.NetworkPolicy
	// ClusterPolicies are the ClusterNetworkPolicies (policy.networking.k8s.io/v1beta1).
	ClusterPolicies []*cnpv1beta1.ClusterNetworkPolicy
	// Nodes give the addresses of ClusterNetworkPolicy nodes peers (status.addresses).
	Nodes []*corev1.Node
}

// Node builds the IR of the node named node; node == "" treats every pod as local.
//
// Every policy is validated, NetworkPolicies in namespace/name order then ClusterNetworkPolicies in name order, and
// the first invalid one fails the build (a *FieldError),
// as does an unparsable address of an eligible pod: the caller never gets a partial IR.
func Node(c Cluster, node string) (*ir.Node, error) {
	memo := selectorMemo{}
	pols, err := compilePolicies(c.Policies, memo, nil, nil)
	if err != nil {
		return nil, err
	}
	cnps, err := compileClusterPolicies(c.ClusterPolicies, memo, nil, nil)
	if err != nil {
		return nil, err
	}
	inv, err := newInventory(c, pols, node)
	if err != nil {
		return nil, err
	}
	if inv.nodes, err = newNodes(c.Nodes); err != nil {
		return nil, err
	}
	return assemble(inv, pols, cnps, node), nil
}

// assemble groups the local pods and resolves their rules.
func assemble(inv *inventory, pols []*compiled, cnps []*compiledCluster, node string) *ir.Node {
	groups := groupPods(inv, pols, cnps)
	res := newResolver(inv)
	out := &ir.Node{Name: node, Groups: make([]ir.Group, 0, len(groups))}
	for _, g := range groups {
		out.Groups = append(out.Groups, g.assemble(inv, res))
	}
	return out
}

// compilePolicies validates and converts every policy, sorted by namespace and name. A policy object found in
// known is not compiled again; when next is not nil, every object and its result are recorded in it.
func compilePolicies(in []*networkingv1.NetworkPolicy, memo selectorMemo, known, next map[*networkingv1.NetworkPolicy]*compiled) ([]*compiled, error) {
	sorted := make([]*networkingv1.NetworkPolicy, 0, len(in))
	for _, p := range in {
		if p != nil {
			sorted = append(sorted, p)
		}
	}
	slices.SortFunc(sorted, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	out := make([]*compiled, 0, len(sorted))
	for i, p := range sorted {
		// A name listed twice fails at its place in the order, before either object is compiled: which of the
		// two comes first is up to the input's order, and an invalid one must not fail the build in one order
		// and the duplicate in the other.
		if i+1 < len(sorted) && sorted[i+1].Namespace == p.Namespace && sorted[i+1].Name == p.Name {
			return nil, fmt.Errorf("NetworkPolicy %s/%s: listed twice", p.Namespace, p.Name)
		}
		c := known[p]
		if c == nil {
			var err error
			if c, err = compile(p, memo); err != nil {
				return nil, err
			}
		}
		if next != nil {
			next[p] = c
		}
		out = append(out, c)
	}
	return out, nil
}

package plugin

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Change is what dry-run applies to a cluster: nothing is written anywhere.
type Change struct {
	// Apply are NetworkPolicies created, or replacing the policy of the same namespace/name.
	Apply []*networkingv1.NetworkPolicy
	// Delete names policies of the cluster to remove.
	Delete []ir.PolicyRef
	// ApplyCluster are ClusterNetworkPolicies created, or replacing the one of the same name.
	ApplyCluster []*cnpv1beta1.ClusterNetworkPolicy
	// DeleteCluster names ClusterNetworkPolicies of the cluster to remove.
	DeleteCluster []string
}

// clusterKind is policyAction.Kind of a ClusterNetworkPolicy.
const clusterKind = "ClusterNetworkPolicy"

// policyAction is what happens to one policy.
type policyAction struct {
	// Policy is "namespace/name" of a NetworkPolicy, the name of a ClusterNetworkPolicy.
	Policy string `json:"policy"`
	// Kind is ClusterNetworkPolicy, or empty for a NetworkPolicy.
	Kind string `json:"kind,omitempty"`
	// Action: create, update, unchanged (same spec as in the cluster) or delete.
	Action string `json:"action"`
}

func (a policyAction) String() string {
	if a.Kind != "" {
		return a.Action + " " + a.Kind + " " + a.Policy
	}
	return a.Action + " " + a.Policy
}

// changedPolicies are the policies a change creates, updates or deletes.
type changedPolicies struct {
	policies map[ir.PolicyRef]bool
	cluster  map[string]bool
}

func (c changedPolicies) of(actions []policyAction) changedPolicies {
	for _, a := range actions {
		switch {
		case a.Action == "unchanged":
		case a.Kind == clusterKind:
			c.cluster[a.Policy] = true
		default:
			ns, name, _ := strings.Cut(a.Policy, "/")
			c.policies[ir.PolicyRef{Namespace: ns, Name: name}] = true
		}
	}
	return c
}

// applyChange returns the cluster after ch, and what happens to each policy, sorted: NetworkPolicies by
// namespace/name, then ClusterNetworkPolicies by name.
func applyChange(c build.Cluster, ch Change) (build.Cluster, []policyAction, error) {
	after := c
	var actions, more []policyAction
	var err error
	after.Policies, actions, err = replace(c.Policies, ch.Apply, ch.Delete,
		func(p *networkingv1.NetworkPolicy) ir.PolicyRef {
			return ir.PolicyRef{Namespace: p.Namespace, Name: p.Name}
		},
		func(a, b *networkingv1.NetworkPolicy) bool { return apiequality.Semantic.DeepEqual(a.Spec, b.Spec) },
		"NetworkPolicy", ir.PolicyRef.String)
	if err != nil {
		return build.Cluster{}, nil, err
	}
	after.ClusterPolicies, more, err = replace(c.ClusterPolicies, ch.ApplyCluster, ch.DeleteCluster,
		func(p *cnpv1beta1.ClusterNetworkPolicy) string { return p.Name },
		func(a, b *cnpv1beta1.ClusterNetworkPolicy) bool {
			return apiequality.Semantic.DeepEqual(a.Spec, b.Spec)
		},
		clusterKind, func(name string) string { return name })
	if err != nil {
		return build.Cluster{}, nil, err
	}
	for i := range more {
		more[i].Kind = clusterKind
	}
	return after, append(actions, more...), nil
}

// replace returns the objects of have after applying apply (created, or replacing the object of the same key) and
// deleting del, with what happens to each key, sorted. A key given twice, a deletion of a key have lacks, and a
// key both applied and deleted are errors naming kind.
func replace[T any, K comparable](have, apply []*T, del []K, key func(*T) K, sameSpec func(a, b *T) bool,
	kind string, text func(K) string) ([]*T, []policyAction, error) {
	old := map[K]*T{}
	for _, p := range have {
		if p != nil {
			old[key(p)] = p
		}
	}
	gone := map[K]bool{}
	var actions []policyAction
	for _, p := range apply {
		k := key(p)
		if gone[k] {
			return nil, nil, fmt.Errorf("%s %s: given twice", kind, text(k))
		}
		gone[k] = true
		a := policyAction{Policy: text(k), Action: "create"}
		if o, ok := old[k]; ok {
			a.Action = "update"
			if sameSpec(o, p) {
				a.Action = "unchanged"
			}
		}
		actions = append(actions, a)
	}
	for _, k := range del {
		if _, ok := old[k]; !ok {
			return nil, nil, fmt.Errorf("%s %s: cannot delete it: not in the cluster", kind, text(k))
		}
		if gone[k] {
			return nil, nil, fmt.Errorf("%s %s: both applied and deleted", kind, text(k))
		}
		gone[k] = true
		actions = append(actions, policyAction{Policy: text(k), Action: "delete"})
	}
	slices.SortFunc(actions, func(a, b policyAction) int { return cmp.Compare(a.Policy, b.Policy) })
	out := make([]*T, 0, len(have)+len(apply))
	for _, p := range have {
		if p != nil && !gone[key(p)] {
			out = append(out, p)
		}
	}
	return append(out, apply...), actions, nil
}

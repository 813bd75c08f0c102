package plugin

import (
	"fmt"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// clusterPolicyResources are the names --delete accepts for a ClusterNetworkPolicy, as kubectl spells the resource
// (short name, singular, plural, fully qualified).
var clusterPolicyResources = []string{"cnp", "clusternetworkpolicy", "clusternetworkpolicies",
	"clusternetworkpolicy.policy.networking.k8s.io", "clusternetworkpolicies.policy.networking.k8s.io"}

// networkPolicyResources name a NetworkPolicy in --delete networkpolicy/NS/NAME, which a NetworkPolicy of a
// namespace called "cnp" needs.
var networkPolicyResources = []string{"netpol", "networkpolicy", "networkpolicies",
	"networkpolicy.networking.k8s.io", "networkpolicies.networking.k8s.io"}

// deletes reads --delete: NS/NAME (or networkpolicy/NS/NAME) is a NetworkPolicy, cnp/NAME (or
// clusternetworkpolicy/NAME) a ClusterNetworkPolicy.
func (o *DryRunOptions) deletes() (Change, error) {
	var ch Change
	for _, s := range o.Delete {
		parts := strings.Split(s, "/")
		switch {
		case len(parts) == 2 && slices.Contains(clusterPolicyResources, strings.ToLower(parts[0])):
			if len(validation.IsDNS1123Subdomain(parts[1])) > 0 {
				return Change{}, fmt.Errorf("dry-run: --delete %q: invalid ClusterNetworkPolicy name %q", s, parts[1])
			}
			if !slices.Contains(ch.DeleteCluster, parts[1]) {
				ch.DeleteCluster = append(ch.DeleteCluster, parts[1])
			}
			continue
		case len(parts) == 3 && slices.Contains(networkPolicyResources, strings.ToLower(parts[0])):
			parts = parts[1:]
		}
		if len(parts) != 2 || len(validation.IsDNS1123Label(parts[0])) > 0 || len(validation.IsDNS1123Subdomain(parts[1])) > 0 {
			return Change{}, fmt.Errorf("dry-run: --delete %q: want namespace/name of a NetworkPolicy or cnp/name of a "+
				"ClusterNetworkPolicy", s)
		}
		if ref := (ir.PolicyRef{Namespace: parts[0], Name: parts[1]}); !slices.Contains(ch.Delete, ref) {
			ch.Delete = append(ch.Delete, ref)
		}
	}
	return ch, nil
}

// have are the policies of the cluster, by name.
type have struct {
	policies map[ir.PolicyRef]*networkingv1.NetworkPolicy
	cluster  map[string]*cnpv1beta1.ClusterNetworkPolicy
}

func newHave(c build.Cluster) *have {
	h := &have{policies: map[ir.PolicyRef]*networkingv1.NetworkPolicy{}, cluster: map[string]*cnpv1beta1.ClusterNetworkPolicy{}}
	for _, p := range c.Policies {
		if p != nil {
			h.policies[ir.PolicyRef{Namespace: p.Namespace, Name: p.Name}] = p
		}
	}
	for _, p := range c.ClusterPolicies {
		if p != nil {
			h.cluster[p.Name] = p
		}
	}
	return h
}

// checkDeletes rejects a deletion of a policy the cluster (read from from) does not hold, or one -f also applies.
func checkDeletes(ch Change, h *have, from string, objs *manifest.Objects) error {
	for _, ref := range ch.Delete {
		if h.policies[ref] == nil {
			return fmt.Errorf("dry-run: --delete %s: no NetworkPolicy %s in %s", ref, ref, from)
		}
		if slices.ContainsFunc(ch.Apply, func(p *networkingv1.NetworkPolicy) bool { return p.Namespace == ref.Namespace && p.Name == ref.Name }) {
			return locate(fmt.Errorf("NetworkPolicy %s: given with -f and with --delete", ref), objs)
		}
	}
	for _, name := range ch.DeleteCluster {
		if h.cluster[name] == nil {
			hint := ""
			for _, ns := range clusterPolicyResources {
				if ref := (ir.PolicyRef{Namespace: ns, Name: name}); h.policies[ref] != nil {
					hint = fmt.Sprintf(" (NetworkPolicy %s of namespace %s: --delete networkpolicy/%s)", name, ns, ref)
				}
			}
			return fmt.Errorf("dry-run: --delete cnp/%s: no ClusterNetworkPolicy %s in %s%s", name, name, from, hint)
		}
		if slices.ContainsFunc(ch.ApplyCluster, func(p *cnpv1beta1.ClusterNetworkPolicy) bool { return p.Name == name }) {
			return locate(fmt.Errorf("ClusterNetworkPolicy %s: given with -f and with --delete", name), objs)
		}
	}
	return nil
}

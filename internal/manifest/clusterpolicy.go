package manifest

import (
	"encoding/json"

	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// The versions of ClusterNetworkPolicy the loader reads, as "apiVersion/kind". network-policy-api v0.3.0 serves
// both with one schema (its CHANGELOG; the CRD has no conversion), v1beta1 being the stored version.
const (
	clusterPolicyV1beta1  = cnpv1beta1.GroupName + "/v1beta1/ClusterNetworkPolicy"
	clusterPolicyV1alpha2 = cnpv1beta1.GroupName + "/v1alpha2/ClusterNetworkPolicy"
)

// addClusterPolicy decodes a ClusterNetworkPolicy of either version into the v1beta1 type, strictly under spec
// (a typo there, like one in a NetworkPolicy's, would silently change what the policy matches), and records it
// as v1beta1, as the API server stores it.
func (l *loader) addClusterPolicy(where, file string, h header, raw json.RawMessage, dup *duplicateKey) error {
	cnp := &cnpv1beta1.ClusterNetworkPolicy{}
	if err := l.decode(where, file, h, raw, dup, cnp, &cnp.ObjectMeta, clusterPolicyRules); err != nil {
		return err
	}
	cnp.APIVersion = cnpv1beta1.GroupVersion.String()
	l.objs.ClusterPolicies = append(l.objs.ClusterPolicies, cnp)
	return nil
}

package bench

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// datapathClusterPolicies is how many ClusterNetworkPolicies the nftpolicy-cnp configuration adds.
const datapathClusterPolicies = 100

// DatapathTiersCluster is DatapathCluster(policies, pods) with ClusterPolicies(n) whose subject is the testbed's
// client and server (and no other pod): the client's egress walks an Admin and a Baseline tier of n/2
// policies each, the server's ingress an Admin tier before its NetworkPolicies, and no rule of either tier
// matches their connection or the intruder's datagrams, so every lookup misses: the longest walk the tiers
// add. To keep the table loadable in every round, other pods are left out of the subject and the namespace
// peers narrowed to one app's pods (each group the tiers select holds its own painted sets; with whole
// namespaces, 100 policies at 50,000 pods paint some 200,000 elements per group).
func DatapathTiersCluster(policies, pods, n int) (build.Cluster, string) {
	c, node := DatapathCluster(policies, pods)
	c.ClusterPolicies = ClusterPolicies(n)
	subject := cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{
		NamespaceSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpIn, Values: []string{"ns-0", "bench-client"},
		}}},
		PodSelector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "app", Operator: metav1.LabelSelectorOpNotIn, Values: appNames(),
		}}},
	}}
	for i, p := range c.ClusterPolicies {
		p.Spec.Subject = subject
		app := metav1.LabelSelector{MatchLabels: map[string]string{"app": appName(i % appsPerNs)}}
		for j := range p.Spec.Egress {
			narrow(&p.Spec.Egress[j].To[0].Namespaces, &p.Spec.Egress[j].To[0].Pods, app)
		}
		for j := range p.Spec.Ingress {
			narrow(&p.Spec.Ingress[j].From[0].Namespaces, &p.Spec.Ingress[j].From[0].Pods, app)
		}
	}
	return c, node
}

// narrow turns a namespaces peer into the pods of one app in those namespaces.
func narrow(namespaces **metav1.LabelSelector, pods **cnp.NamespacedPod, app metav1.LabelSelector) {
	if *namespaces != nil {
		*pods = &cnp.NamespacedPod{NamespaceSelector: **namespaces, PodSelector: app}
		*namespaces = nil
	}
}

// appNames are the app labels of Cluster's pods.
func appNames() []string {
	out := make([]string, appsPerNs)
	for i := range out {
		out[i] = appName(i)
	}
	return out
}

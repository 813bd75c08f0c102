package bench

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nftpolicy/nftpolicy/internal/plugin"
)

// BenchmarkDryRun measures `kubectl nftpolicy dry-run` without the command line (plugin.DryRun: the IRs before
// and after, the connectivity diff, the ruleset diff of every node it can change) for one new policy in a
// cluster of 5,000 pods on 50 nodes, dual-stack, with 1,000 policies:
//
//   - deny-namespace: a default-deny for ingress and egress in ns-7, whose 50 pods lose about 300,000 probes:
//     the most a single namespaced policy changes there;
//   - allow-app: app-3 of ns-7 becomes isolated for ingress and admits app-4 of its namespace on 8000 only.
//
// It reports the probes that change and the nodes whose ruleset changes. The command must answer within 2 s.
func BenchmarkDryRun(b *testing.B) {
	c, _ := Cluster(1000, 5000)
	deny := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsName(7), Name: "dry-run-deny"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{
			networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}},
	}
	tcp, port := corev1.ProtocolTCP, intstr.FromInt32(8000)
	allow := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsName(7), Name: "dry-run-allow"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": appName(3)}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": appName(4)}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	}
	for _, tc := range []struct {
		name string
		p    *networkingv1.NetworkPolicy
	}{{"deny-namespace", deny}, {"allow-app", allow}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var r *plugin.DryRunReport
			for b.Loop() {
				var err error
				if r, err = plugin.DryRun(c, plugin.Change{Apply: []*networkingv1.NetworkPolicy{tc.p}}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(r.Connectivity.LostProbes+r.Connectivity.GainedProbes), "changed-probes")
			b.ReportMetric(float64(len(r.Nodes)), "changed-nodes")
		})
	}
}

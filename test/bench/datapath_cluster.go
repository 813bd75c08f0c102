package bench

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// The datapath testbed's three pods, on node-0 of the synthetic cluster. The rest of the cluster exists only as
// peers: its addresses fill node-0's sets, no namespace is made for them.
const (
	clientKey   = "bench-client/client"
	serverKey   = "ns-0/server"
	intruderKey = "bench-intruder/intruder"
	// ServerPort is where the server listens; only the client's policy allows it.
	ServerPort = 5201
)

var (
	clientIP   = netip.MustParseAddr("10.250.0.10")
	serverIP   = netip.MustParseAddr("10.250.0.11")
	intruderIP = netip.MustParseAddr("10.250.0.12")
)

// serverPolicies is how many policies select the server in a cluster of the given size: 2% (at least one),
// so 200 at 10,000 policies — the server pays for a long policy list if the ruleset makes it.
func serverPolicies(policies int) int { return max(1, policies/50) }

// DatapathCluster is Cluster(policies, pods) with the testbed's client, server and intruder added on node-0,
// holding policies policies in all: serverPolicies(policies) of them select the server (the five shapes of
// Cluster, moved into the server's namespace: peers from namespaces, pods, ipBlocks; one of them a deny-all),
// and the last of them in name order, pol-server-client, is the only one that allows the client to the
// server's port. The intruder has the client's labels in a namespace no policy admits.
func DatapathCluster(policies, pods int) (build.Cluster, string) {
	k := serverPolicies(policies)
	c, node := Cluster(max(0, policies-k-1), pods)
	for _, ns := range []string{"bench-client", "bench-intruder"} {
		c.Namespaces = append(c.Namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns},
		}})
	}
	pod := func(key string, ip netip.Addr, labels map[string]string) *corev1.Pod {
		ns, name, _ := strings.Cut(key, "/")
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{
				{Name: "perf", ContainerPort: ServerPort, Protocol: corev1.ProtocolTCP},
			}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: ip.String()}}},
		}
	}
	c.Pods = append(c.Pods,
		pod(clientKey, clientIP, map[string]string{"role": "client"}),
		pod(serverKey, serverIP, map[string]string{"app": "server"}),
		pod(intruderKey, intruderIP, map[string]string{"role": "client"}))
	for j := 0; j < k; j++ {
		p := policy(j)
		p.Namespace, p.Name = "ns-0", fmt.Sprintf("pol-server-%d", j)
		p.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}}
		c.Policies = append(c.Policies, p)
	}
	tcp := corev1.ProtocolTCP
	port := intstr.FromInt32(ServerPort)
	c.Policies = append(c.Policies, &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns-0", Name: "pol-server-client"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "bench-client"}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	})
	return c, node
}

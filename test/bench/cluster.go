package bench

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// Synthetic cluster plan: 100 namespaces (team label t0..t9), 10 apps per namespace; pod j lives in namespace
// j%100, app (j/100)%10, on node (j/7)%nodes with one node per 100 pods (so node-0 holds about 100 local pods
// from every namespace and app);
// pod j's address is 10.0.0.0 + j + 1 and fd00::(j+1). Policies cycle through five shapes that real clusters
// use: same-namespace app→app on a port, from team namespaces on two ports, egress to an app on a named port,
// ipBlock with except on a port range, and namespace-wide deny.
const (
	namespaces  = 100
	appsPerNs   = 10
	podsPerNode = 100
)

// Cluster returns a synthetic cluster with the given number of policies and pods, and the name of a node.
func Cluster(policies, pods int) (build.Cluster, string) {
	var c build.Cluster
	for i := 0; i < namespaces; i++ {
		c.Namespaces = append(c.Namespaces, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name:   nsName(i),
			Labels: map[string]string{"kubernetes.io/metadata.name": nsName(i), "team": fmt.Sprintf("t%d", i%10)},
		}})
	}
	nodes := max(1, pods/podsPerNode)
	base4 := netip.MustParseAddr("10.0.0.0").As4()
	for j := 0; j < pods; j++ {
		n := uint32(j + 1)
		v4 := base4
		v4[1], v4[2], v4[3] = byte(n>>16), byte(n>>8), byte(n)
		v6 := netip.AddrFrom16([16]byte{0xfd, 14: byte(n >> 8), 15: byte(n)})
		c.Pods = append(c.Pods, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: nsName(j % namespaces), Name: fmt.Sprintf("pod-%d", j),
				Labels: map[string]string{"app": appName(j / namespaces % appsPerNs)}},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", (j/7)%nodes), Containers: []corev1.Container{{
				Name: "c", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: int32(8000 + j%3), Protocol: corev1.ProtocolTCP}},
			}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{
				{IP: netip.AddrFrom4(v4).String()}, {IP: v6.String()},
			}},
		})
	}
	for i := 0; i < policies; i++ {
		c.Policies = append(c.Policies, policy(i))
	}
	return c, "node-0"
}

func nsName(i int) string  { return fmt.Sprintf("ns-%d", i) }
func appName(i int) string { return fmt.Sprintf("app-%d", i) }

func policy(i int) *networkingv1.NetworkPolicy {
	ns := nsName(i % namespaces)
	app := appName(i / namespaces % appsPerNs)
	other := appName((i/namespaces + 1) % appsPerNs)
	tcp := corev1.ProtocolTCP
	port := func(p int) networkingv1.NetworkPolicyPort {
		v := intstr.FromInt32(int32(p))
		return networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &v}
	}
	p := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("pol-%d", i)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
		},
	}
	switch i % 5 {
	case 0: // app → app in the namespace, one port
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": other}}}},
			Ports: []networkingv1.NetworkPolicyPort{port(8080)},
		}}
	case 1: // from every namespace of a team, two ports
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprintf("t%d", i%10)}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": other}},
			}},
			Ports: []networkingv1.NetworkPolicyPort{port(80), port(443)},
		}}
	case 2: // egress to an app on a named port (resolved per peer pod)
		named := intstr.FromString("http")
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{{
			To:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": other}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &named}},
		}}
	case 3: // ipBlock with except, on a port range
		end := int32(8100)
		pr := port(8000)
		pr.EndPort = &end
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{
				CIDR: fmt.Sprintf("172.%d.0.0/16", 16+i%16), Except: []string{fmt.Sprintf("172.%d.%d.0/24", 16+i%16, i%256)},
			}}},
			Ports: []networkingv1.NetworkPolicyPort{pr},
		}}
	case 4: // namespace-wide default deny
		p.Spec.PodSelector = metav1.LabelSelector{}
		p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	}
	return p
}

package build

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// synthCluster makes a cluster of nPods pods in nNS namespaces (plus kube-system with DNS pods) spread over
// nNodes nodes (n0 ... ), and nPol policies: per namespace a default deny and a DNS egress allowance, the rest
// selecting one app each with a mix of pod, namespace, combined and ipBlock peers, numeric and named ports.
// Pod i of namespace ns<k> has 10.<k/256>.<k%256>.<i>-style unique addresses; every 4th pod is dual-stack.
func synthCluster(nPol, nPod, nNS, nNodes int) Cluster {
	var c Cluster
	teams := []string{"red", "blue", "green", "gold"}
	c.Namespaces = append(c.Namespaces, namespace("kube-system"))
	for k := range nNS {
		c.Namespaces = append(c.Namespaces, namespace(fmt.Sprint("ns", k), "team", teams[k%len(teams)]))
	}
	for i := range 4 {
		c.Pods = append(c.Pods, pod("kube-system", fmt.Sprint("coredns-", i), onNode(fmt.Sprint("n", i*nNodes/nPod)),
			labeled("k8s-app", "kube-dns"), ip(fmt.Sprintf("10.255.255.%d", i+1)), cport("dns", 53, corev1.ProtocolUDP)))
	}
	for i := range nPod {
		k := i % nNS
		addrs := []string{fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)}
		if i%4 == 0 {
			addrs = append(addrs, fmt.Sprintf("fd00::%x:%x", i>>16, i&0xffff))
		}
		c.Pods = append(c.Pods, pod(fmt.Sprint("ns", k), fmt.Sprint("pod-", i),
			onNode(fmt.Sprint("n", i*nNodes/nPod)),
			labeled("app", fmt.Sprint("app", (i/nNS)%50), "role", []string{"frontend", "backend", "db"}[i%3]),
			ip(addrs...), cport("http", int32(8000+i%3), "")))
	}
	dns := egress(both(match("kubernetes.io/metadata.name", "kube-system"), match("k8s-app", "kube-dns")),
		portOf(corev1.ProtocolUDP, 53), named("dns", corev1.ProtocolUDP))
	for j := range nPol {
		ns := fmt.Sprint("ns", j%nNS)
		var p *networkingv1.NetworkPolicy
		switch {
		case j < nNS:
			p = policy(ns, "default-deny", selecting(), types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress))
		case j < 2*nNS:
			p = policy(ns, "allow-dns", selecting(), types(networkingv1.PolicyTypeEgress), dns)
		default:
			app := fmt.Sprint("app", j%50)
			p = policy(ns, fmt.Sprint("allow-", j), selecting("app", app),
				ingress(pods(match("app", fmt.Sprint("app", (j+1)%50))), named("http", ""), tcp(9090)),
				ingress(both(match("team", teams[j%len(teams)]), match("role", "frontend")), tcp(443)),
				ingress(namespaces(exprs(metav1.LabelSelectorRequirement{Key: "team", Operator: metav1.LabelSelectorOpNotIn,
					Values: []string{"red"}}))),
				ingress(block("192.168.0.0/16", "192.168.1.0/24")),
				egress(pods(match("role", "db")), named("http", ""), portRange(corev1.ProtocolTCP, 5432, 5440)),
				egress(block("0.0.0.0/0", "10.0.0.0/8")))
		}
		c.Policies = append(c.Policies, p)
	}
	return c
}

func BenchmarkNode(b *testing.B) {
	for _, s := range []struct {
		pol, pods, ns, nodes int
		node                 string
	}{
		{100, 1000, 10, 10, "n0"},
		{1000, 10000, 100, 100, "n0"},
		{1000, 10000, 100, 100, ""}, // every pod local
		{10000, 50000, 500, 500, "n0"},
	} {
		c := synthCluster(s.pol, s.pods, s.ns, s.nodes)
		b.Run(fmt.Sprintf("policies=%d,pods=%d,nodes=%d,node=%q", s.pol, s.pods, s.nodes, s.node), func(b *testing.B) {
			b.ReportAllocs()
			var groups int
			for b.Loop() {
				n, err := Node(c, s.node)
				if err != nil {
					b.Fatal(err)
				}
				groups = len(n.Groups)
			}
			b.ReportMetric(float64(groups), "groups")
		})
	}
}

// TestSynthCluster keeps the benchmark's input valid and non-trivial.
func TestSynthCluster(t *testing.T) {
	c := synthCluster(40, 400, 10, 4)
	n, err := Node(c, "n0")
	if err != nil {
		t.Fatal(err)
	}
	rules, addrs, pairs := 0, 0, 0
	for _, g := range n.Groups {
		rules += len(g.Rules)
		for _, r := range g.Rules {
			addrs += len(r.Peers.Addrs)
			pairs += len(r.AddrPorts)
		}
	}
	if len(n.Groups) < 10 || rules == 0 || addrs == 0 || pairs == 0 {
		t.Errorf("degenerate: %d groups, %d rules, %d addrs, %d pairs", len(n.Groups), rules, addrs, pairs)
	}
}

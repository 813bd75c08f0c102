package conformance

import (
	"fmt"
	"maps"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// clusterFor returns the objects the API server would hold during step st of case tc, with the pods and nodes at
// the addresses a gives: the five namespaces, the eight pods, the two host-network centaurs (whose pod IPs are
// their node's), the two nodes, and the test's manifest after the step's edits.
func clusterFor(tc Case, st Step, a Addresses) (build.Cluster, error) {
	objs, err := loadManifest(tc.Manifest)
	if err != nil {
		return build.Cluster{}, err
	}
	for _, e := range st.Edits {
		if err := e.apply(objs, a); err != nil {
			return build.Cluster{}, fmt.Errorf("edit %q: %w", e.What, err)
		}
	}
	var c build.Cluster
	for _, h := range houses {
		labels := namespaceLabels(h)
		if l, ok := st.NamespaceLabels[h.ns]; ok {
			labels = maps.Clone(l)
			labels[corev1.LabelMetadataName] = h.ns // the API server keeps it whatever a patch says
		}
		c.Namespaces = append(c.Namespaces, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: h.ns, Labels: labels},
		})
	}
	for _, pod := range podPods() {
		c.Pods = append(c.Pods, podObject(pod, st, containerPorts(), a.PodIPs(pod), a.NodeIPs(nodeOf(pod))))
	}
	for _, pod := range centaurs() {
		ips := a.NodeIPs(nodeOf(pod))
		p := podObject(pod, st, centaurPorts(), ips, ips)
		p.Spec.HostNetwork = true
		c.Pods = append(c.Pods, p)
	}
	for _, n := range nodeNames {
		c.Nodes = append(c.Nodes, nodeObject(n, a.NodeIPs(n)))
	}
	c.ClusterPolicies = objs.ClusterPolicies
	c.Policies = objs.Policies
	return c, nil
}

// podObject renders a running pod of the model with the step's labels.
func podObject(pod string, st Step, ports []corev1.ContainerPort, ips, hostIPs []netip.Addr) *corev1.Pod {
	ns, name := splitPod(pod)
	labels := podLabels(pod)
	maps.Copy(labels, st.PodLabels[pod])
	p := &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: corev1.PodSpec{
			NodeName:   nodeOf(pod),
			Containers: []corev1.Container{{Name: "main", Image: "nftpolicy/harness", Ports: ports}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip.String()})
	}
	for _, ip := range hostIPs {
		p.Status.HostIPs = append(p.Status.HostIPs, corev1.HostIP{IP: ip.String()})
	}
	if len(ips) > 0 {
		p.Status.PodIP = ips[0].String()
	}
	if len(hostIPs) > 0 {
		p.Status.HostIP = hostIPs[0].String()
	}
	return p
}

// nodeObject renders a node: labelled kubernetes.io/os=linux, its addresses as InternalIPs (and a Hostname entry,
// which is no address and must be skipped).
func nodeObject(name string, ips []netip.Addr) *corev1.Node {
	n := &corev1.Node{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
			osLabel: "linux", corev1.LabelHostname: name,
		}},
	}
	for _, ip := range ips {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: ip.String()})
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
	return n
}

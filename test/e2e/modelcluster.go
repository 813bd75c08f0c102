package e2e

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// NewModelEnv returns the ModelEnv of one address family (4 or 6).
func NewModelEnv(family int) ModelEnv { return ModelEnv{family: family} }

// ModelEnv is an Env without a cluster: it hands out made-up pod addresses, 10.244.<ns+1>.<pod+10> and
// fd00:10:244:<ns+1>::<pod+10>, for tests that build the model's objects without network namespaces (the
// evaluator against the truth tables, the lab with the model's addresses in status.podIPs).
type ModelEnv struct{ family int }

func (f ModelEnv) Family() int { return f.family }

func (f ModelEnv) PodIP(ns, pod string) netip.Addr {
	n := slices.Index(Namespaces(), ns)
	p := slices.Index(PodNames(), pod)
	if n < 0 || p < 0 {
		return netip.Addr{}
	}
	if f.family == 4 {
		return netip.AddrFrom4([4]byte{10, 244, byte(n + 1), byte(p + 10)})
	}
	return netip.MustParseAddr(fmt.Sprintf("fd00:10:244:%d::%d", n+1, p+10))
}

var nodes = []string{"node-a", "node-b"}

// nodeOf spreads the model's pods over the nodes, alternating in AllPods order.
func nodeOf(podKey string) string {
	return nodes[slices.Index(AllPods(), podKey)%len(nodes)]
}

// withMetadataName adds the label the API server sets on every namespace.
func withMetadataName(ns string, labels map[string]string) map[string]string {
	out := map[string]string{"kubernetes.io/metadata.name": ns}
	for k, v := range labels {
		out[k] = v
	}
	return out
}

// ModelCluster is what objects (e2e_test.go) gives for step st of case tc, built from the model instead of a
// harness cluster: namespaces x, y, z; the nine pods, Running, dual-stack with fakeEnv's addresses of both
// families, on the nodes nodeOf gives; the harness's Pending pod x/pending without an address, which
// podSelector {} in x selects and which must contribute nothing; the step's labels and the case's container
// ports; the step's policies for env e.
func ModelCluster(tc Case, st Step, e Env) build.Cluster {
	var c build.Cluster
	for _, name := range Namespaces() {
		labels := DefaultNamespaceLabels(name)
		if l, ok := st.NamespaceLabels[name]; ok {
			labels = l
		}
		c.Namespaces = append(c.Namespaces, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: withMetadataName(name, labels)},
		})
	}
	newPod := func(ns, name, node string, labels map[string]string, ports []corev1.ContainerPort) *corev1.Pod {
		return &corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
			Spec: corev1.PodSpec{NodeName: node,
				Containers: []corev1.Container{{Name: "main", Image: "nftpolicy/harness", Ports: ports}}},
			Status: corev1.PodStatus{Phase: corev1.PodPending},
		}
	}
	for _, key := range AllPods() {
		ns, name := splitPod(key)
		labels := DefaultPodLabels(ns, name)
		if l, ok := st.PodLabels[key]; ok {
			labels = l
		}
		ports := DefaultContainerPorts()
		if p, ok := tc.ContainerPorts[key]; ok {
			ports = p
		}
		p := newPod(ns, name, nodeOf(key), labels, ports)
		p.Status.Phase = corev1.PodRunning
		for _, fam := range []int{4, 6} {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ModelEnv{family: fam}.PodIP(ns, name).String()})
		}
		p.Status.PodIP = p.Status.PodIPs[0].IP
		c.Pods = append(c.Pods, p)
	}
	c.Pods = append(c.Pods, newPod("x", "pending", nodes[0], map[string]string{"pod": "pending"}, DefaultContainerPorts()))
	if st.Policies != nil {
		for _, p := range st.Policies(e) {
			p = p.DeepCopy()
			p.TypeMeta = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
			c.Policies = append(c.Policies, p)
		}
	}
	return c
}

package conformance

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// The house model of the network-policy-api conformance suite (conformance/base/manifests.yaml): five
// namespaces, four StatefulSets of two pods each, and the host-network centaurs in forbidden-forrest.

// Label keys the suite's objects carry.
const (
	houseLabel   = "conformance-house"
	podNameLabel = "statefulset.kubernetes.io/pod-name" // set by the StatefulSet controller
	roleLabel    = "conformance-role"                   // set and removed by the pod-selector tests
	osLabel      = "kubernetes.io/os"                   // on Node objects, selected by the nodes peers
)

// The namespaces.
const (
	nsGryffindor = "network-policy-conformance-gryffindor"
	nsSlytherin  = "network-policy-conformance-slytherin"
	nsHufflepuff = "network-policy-conformance-hufflepuff"
	nsRavenclaw  = "network-policy-conformance-ravenclaw"
	nsForest     = "network-policy-conformance-forbidden-forrest"
)

// house is one namespace of the model and the StatefulSet in it.
type house struct {
	ns, label, set string
	hostNetwork    bool
}

var houses = []house{
	{nsGryffindor, "gryffindor", "harry-potter", false},
	{nsSlytherin, "slytherin", "draco-malfoy", false},
	{nsHufflepuff, "hufflepuff", "cedric-diggory", false},
	{nsRavenclaw, "ravenclaw", "luna-lovegood", false},
	{nsForest, "forbidden-forrest", "centaur", true},
}

// The pods, as "namespace/name". G, S, H, R, F for the houses as the research note writes them; the digit is the
// StatefulSet ordinal. F0 and F1 are host-network pods: their address is their node's.
const (
	G0 = nsGryffindor + "/harry-potter-0"
	G1 = nsGryffindor + "/harry-potter-1"
	S0 = nsSlytherin + "/draco-malfoy-0"
	S1 = nsSlytherin + "/draco-malfoy-1"
	H0 = nsHufflepuff + "/cedric-diggory-0"
	H1 = nsHufflepuff + "/cedric-diggory-1"
	R0 = nsRavenclaw + "/luna-lovegood-0"
	R1 = nsRavenclaw + "/luna-lovegood-1"
	F0 = nsForest + "/centaur-0"
	F1 = nsForest + "/centaur-1"
)

// The nodes: ordinal 0 of every StatefulSet runs on nodeA, ordinal 1 on nodeB, so every test mixes same-node and
// cross-node pairs, and centaur-i's address is node i's.
const (
	nodeA = "node-a"
	nodeB = "node-b"
)

var nodeNames = []string{nodeA, nodeB}

// podPods returns the eight pods with their own network namespace, in house then ordinal order.
func podPods() []string { return []string{G0, G1, S0, S1, H0, H1, R0, R1} }

// centaurs returns the host-network pods.
func centaurs() []string { return []string{F0, F1} }

// isCentaur tells whether pod is a host-network pod.
func isCentaur(pod string) bool { return slices.Contains(centaurs(), pod) }

// nodeOf returns the node of any pod of the model.
func nodeOf(pod string) string {
	if strings.HasSuffix(pod, "-0") {
		return nodeA
	}
	return nodeB
}

// splitPod splits "namespace/name"; the pod strings of this package are constants, so anything else is a bug.
func splitPod(pod string) (ns, name string) {
	ns, name, ok := strings.Cut(pod, "/")
	if !ok || ns == "" || name == "" {
		panic("conformance: malformed pod " + pod)
	}
	return ns, name
}

// houseOf returns the house of pod ("namespace/name").
func houseOf(pod string) house {
	ns, _ := splitPod(pod)
	for _, h := range houses {
		if h.ns == ns {
			return h
		}
	}
	panic("conformance: pod " + pod + " is in no house")
}

// podLabels returns the labels the pod carries as the StatefulSet controller creates it.
func podLabels(pod string) map[string]string {
	_, name := splitPod(pod)
	return map[string]string{houseLabel: houseOf(pod).label, podNameLabel: name}
}

// namespaceLabels returns the namespace's labels as applied, plus the one the API server adds.
func namespaceLabels(h house) map[string]string {
	return map[string]string{houseLabel: h.label, corev1.LabelMetadataName: h.ns}
}

// Host-network ports: the suite's HostNetworkPorts, 34345 + i (conformance/utils/suite/suite.go).
const hostNetworkPortBase = 34345

// HNP returns the i-th host-network port.
func HNP(i int) int32 { return hostNetworkPortBase + int32(i) }

// hostNetworkPortList is the template data .HostNetworkPorts of the upstream manifests.
func hostNetworkPortList() []int {
	out := make([]int, 8)
	for i := range out {
		out[i] = int(HNP(i))
	}
	return out
}

// containerPorts are the ports of every pod with its own network namespace. Upstream declares only web and dns;
// the unnamed ones are declared here too so that the harness opens their listeners (it opens one per declared
// port), and names stay only on web and dns so that named ports resolve as upstream.
func containerPorts() []corev1.ContainerPort {
	return []corev1.ContainerPort{
		{Name: "web", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
		{ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
		{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
		{ContainerPort: 5353, Protocol: corev1.ProtocolUDP},
		{ContainerPort: 9003, Protocol: corev1.ProtocolSCTP},
		{ContainerPort: 9005, Protocol: corev1.ProtocolSCTP},
	}
}

// centaurPorts are the centaurs' declared ports (the base manifest: web-<port> and dns-<port> names; the SCTP
// servers are undeclared), served on the node by node listeners.
func centaurPorts() []corev1.ContainerPort {
	return []corev1.ContainerPort{
		{Name: "web-34345", ContainerPort: HNP(0), Protocol: corev1.ProtocolTCP},
		{Name: "web-34346", ContainerPort: HNP(1), Protocol: corev1.ProtocolTCP},
		{Name: "dns-34347", ContainerPort: HNP(2), Protocol: corev1.ProtocolUDP},
		{Name: "dns-34349", ContainerPort: HNP(4), Protocol: corev1.ProtocolUDP},
	}
}

// nodeServed lists what the node listeners serve: TCP HNP0, HNP1; UDP HNP2, HNP4; SCTP HNP6, HNP7.
var nodeServed = struct{ tcp, udp, sctp []int32 }{
	tcp:  []int32{HNP(0), HNP(1)},
	udp:  []int32{HNP(2), HNP(4)},
	sctp: []int32{HNP(6), HNP(7)},
}

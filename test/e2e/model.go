package e2e

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// namespaceNameLabel is the immutable label the API server puts on every
// namespace (corev1.LabelMetadataName).
const namespaceNameLabel = corev1.LabelMetadataName

// The served ports: every pod listens on both, for TCP, UDP and SCTP.
const (
	port80 int32 = 80
	port81 int32 = 81
)

var (
	namespaces = []string{"x", "y", "z"}
	podNames   = []string{"a", "b", "c"}
	protocols  = []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
)

// Namespaces returns the model's namespaces: x, y, z.
func Namespaces() []string { return slices.Clone(namespaces) }

// PodNames returns the pod names used in every namespace: a, b, c.
func PodNames() []string { return slices.Clone(podNames) }

// AllPods returns every pod of the model as "ns/pod", sorted.
func AllPods() []string {
	out := make([]string, 0, len(namespaces)*len(podNames))
	for _, ns := range namespaces {
		for _, p := range podNames {
			out = append(out, podKey(ns, p))
		}
	}
	slices.Sort(out)
	return out
}

// DefaultNamespaceLabels returns the labels namespace ns carries unless a
// step overrides them: {"ns": ns} as the upstream model sets, plus
// kubernetes.io/metadata.name, which the API server adds to every namespace.
func DefaultNamespaceLabels(ns string) map[string]string {
	return map[string]string{"ns": ns, namespaceNameLabel: ns}
}

// DefaultPodLabels returns the labels a pod carries unless a step overrides
// them: {"pod": <name>}.
// Pods are labelled by name only, as upstream does; ns is not used.
func DefaultPodLabels(ns, pod string) map[string]string {
	return map[string]string{"pod": pod}
}

// DefaultContainerPorts returns the ports every pod declares, named like
// upstream's model does: serve-<port>-<lowercase protocol>.
func DefaultContainerPorts() []corev1.ContainerPort {
	var out []corev1.ContainerPort
	for _, port := range []int32{port80, port81} {
		for _, proto := range protocols {
			out = append(out, corev1.ContainerPort{
				Name:          servePortName(port, proto),
				ContainerPort: port,
				Protocol:      proto,
			})
		}
	}
	return out
}

// servePortName is upstream's container port name scheme.
func servePortName(port int32, proto corev1.Protocol) string {
	return fmt.Sprintf("serve-%d-%s", port, strings.ToLower(string(proto)))
}

func podKey(ns, pod string) string { return ns + "/" + pod }

// splitPod splits "ns/pod"; it panics on anything else because pod strings in
// this package are literals and a malformed one is a bug in a case.
func splitPod(s string) (ns, pod string) {
	ns, pod, ok := strings.Cut(s, "/")
	if !ok || ns == "" || pod == "" || strings.Contains(pod, "/") {
		panic(fmt.Sprintf("e2e: malformed pod string %q, want ns/pod", s))
	}
	return ns, pod
}

// Env is what a case needs to know about the running environment.
type Env interface {
	// Family is the IP family under test: 4 or 6.
	Family() int
	// PodIP is the pod's address in the family under test (for ipBlock cases).
	PodIP(ns, pod string) netip.Addr
}

// Case is one scenario: a sequence of steps, each a complete set of
// policies and labels followed by probes.
type Case struct {
	// Name is the upstream It() title verbatim for upstream specs (with the
	// upstream Context text in front where the title alone is not unique,
	// which is how Ginkgo itself names the spec), descriptive for extras.
	Name     string
	Upstream bool
	Steps    []Step
	// ContainerPorts overrides the declared container ports of some pods
	// ("ns/pod" -> ports) for the whole case. Listeners exist on 80 and 81
	// for TCP, UDP and SCTP regardless; only names and declarations change.
	ContainerPorts map[string][]corev1.ContainerPort
	// Families lists the IP families this case runs in; nil means both 4 and 6.
	Families []int
}

// Step is one state of the cluster and what to probe in it.
type Step struct {
	Name string
	// Policies returns the complete set of policies in force for this step.
	Policies func(e Env) []*networkingv1.NetworkPolicy
	// NamespaceLabels maps ns -> complete label set replacing the default.
	NamespaceLabels map[string]map[string]string
	// PodLabels maps "ns/pod" -> complete label set replacing the default.
	PodLabels map[string]map[string]string
	Probes    []ProbeExpect
	// NodeProbes go from the node hosting the pod to the pod.
	NodeProbes []NodeProbe
}

// ProbeExpect asks for every ordered pair of AllPods() to be probed on
// Port/Protocol and compared with Expect.
type ProbeExpect struct {
	Protocol corev1.Protocol
	Port     int32
	Expect   *Reachability
}

// NodeProbe is a probe from the node hosting pod To to that pod.
type NodeProbe struct {
	To       string
	Protocol corev1.Protocol
	Port     int32
	Expect   bool
}

package conformance

import (
	"fmt"
	"net/netip"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Case is one upstream ConformanceTest: its manifest, applied at the start, and its subtests as steps.
type Case struct {
	// Name is the upstream ShortName.
	Name string
	// Manifest is the test's manifest, a path in the module's conformance.Manifests (upstream's Manifests[0]).
	Manifest string
	// Steps are in upstream order; each carries the complete state the cluster is in while its probes run.
	Steps []Step
}

// Step is one state of the cluster and the probes upstream makes in it. A subtest that changes the state between
// its probes (a pod or namespace relabelled) is cut into one step per state.
type Step struct {
	// Subtest is the upstream t.Run title, verbatim.
	Subtest string
	// After names the state change that begins a later segment of the subtest ("" for its first segment).
	After string
	// Edits turn the manifest's objects into the ones in force: every patch upstream applied since the manifest,
	// in order (mutations are cumulative across a test's subtests).
	Edits []Edit
	// NamespaceLabels replaces the labels of a namespace (the API server's kubernetes.io/metadata.name is kept).
	NamespaceLabels map[string]map[string]string
	// PodLabels adds labels to a pod ("namespace/name"), on top of the ones it is created with.
	PodLabels map[string]map[string]string
	Probes    []Probe
}

// Name is the subtest title, with the state change for a later segment.
func (s Step) Name() string {
	if s.After == "" {
		return s.Subtest
	}
	return s.Subtest + " (after " + s.After + ")"
}

// Probe is one upstream PokeServer: a connection from pod From to To on Protocol/Port, and whether upstream expects
// it to connect. To is a pod, or a centaur (F0, F1): then the probe goes to the centaur's address, its node's.
type Probe struct {
	From, To string
	Protocol corev1.Protocol
	Port     int32
	Allowed  bool
}

func (p Probe) String() string {
	proto := strings.ToLower(string(p.Protocol))
	return fmt.Sprintf("%s -> %s %s/%d (want %s)", p.From, p.To, proto, p.Port, verdictWord(p.Allowed))
}

func verdictWord(allowed bool) string {
	if allowed {
		return "allowed"
	}
	return "denied"
}

// Shorthands of the case tables.
const (
	TCP  = corev1.ProtocolTCP
	UDP  = corev1.ProtocolUDP
	SCTP = corev1.ProtocolSCTP
)

func allow(from, to string, proto corev1.Protocol, port int32) Probe {
	return Probe{From: from, To: to, Protocol: proto, Port: port, Allowed: true}
}

func deny(from, to string, proto corev1.Protocol, port int32) Probe {
	return Probe{From: from, To: to, Protocol: proto, Port: port}
}

// edits lists the edits of a step.
func edits(e ...Edit) []Edit { return e }

// concat joins edit lists.
func concat(lists ...[]Edit) []Edit {
	var out []Edit
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// Addresses says where the model's pods and nodes are: the harness cluster's addresses, or made-up ones.
type Addresses interface {
	// PodIPs returns the addresses of a pod with its own network namespace, IPv4 first.
	PodIPs(pod string) []netip.Addr
	// NodeIPs returns a node's addresses (its InternalIPs), IPv4 first.
	NodeIPs(node string) []netip.Addr
}

// targetIP returns the address probe p goes to in the family (4 or 6): the pod's, or for a centaur its node's.
func targetIP(a Addresses, to string, family int) netip.Addr {
	ips := a.PodIPs
	if isCentaur(to) {
		ips = func(string) []netip.Addr { return a.NodeIPs(nodeOf(to)) }
	}
	for _, ip := range ips(to) {
		if ip.Is4() == (family == 4) {
			return ip
		}
	}
	return netip.Addr{}
}

package e2e

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// Shorthands used by the case tables.

// The model's pods.
const (
	xa = "x/a"
	xb = "x/b"
	xc = "x/c"
	ya = "y/a"
	yb = "y/b"
	yc = "y/c"
	za = "z/a"
	zb = "z/b"
	zc = "z/c"
)

var (
	anyPod = Peer{}
	inX    = Peer{Namespace: "x"}
	inY    = Peer{Namespace: "y"}
	inZ    = Peer{Namespace: "z"}
)

func pod(ns, name string) Peer { return Peer{Namespace: ns, Pod: name} }

// probe expects r on port/proto. The pod -> itself cells are set to allowed:
// that traffic never leaves the pod's network namespace. (Upstream does not
// judge those cells at all: its suite runs with ignoreLoopback = true.)
func probe(proto corev1.Protocol, port int32, r *Reachability) ProbeExpect {
	return ProbeExpect{Protocol: proto, Port: port, Expect: r.AllowLoopback()}
}

func tcpProbe(port int32, r *Reachability) ProbeExpect {
	return probe(corev1.ProtocolTCP, port, r)
}

func udpProbe(port int32, r *Reachability) ProbeExpect {
	return probe(corev1.ProtocolUDP, port, r)
}

func sctpProbe(port int32, r *Reachability) ProbeExpect {
	return probe(corev1.ProtocolSCTP, port, r)
}

// allowAll is a fresh matrix with everything allowed.
func allowAll() *Reachability { return NewReachability(true) }

// fixed returns a Policies func yielding deep copies of ps, for steps whose
// policies do not depend on the environment.
func fixed(ps ...*networkingv1.NetworkPolicy) func(Env) []*networkingv1.NetworkPolicy {
	return func(Env) []*networkingv1.NetworkPolicy {
		out := make([]*networkingv1.NetworkPolicy, 0, len(ps))
		for _, p := range ps {
			out = append(out, p.DeepCopy())
		}
		return out
	}
}

// noPolicies is the Policies func of a step with no policy in force.
func noPolicies(Env) []*networkingv1.NetworkPolicy { return nil }

// renamedPort returns DefaultContainerPorts with the declaration of
// port/proto renamed to name.
func renamedPort(port int32, proto corev1.Protocol, name string) []corev1.ContainerPort {
	ports := DefaultContainerPorts()
	for i := range ports {
		if ports[i].ContainerPort == port && ports[i].Protocol == proto {
			ports[i].Name = name
		}
	}
	return ports
}

// nsLabels returns the complete label set of namespace ns: the API server's
// name label plus the given pairs.
func nsLabels(ns string, kv ...string) map[string]string {
	m := map[string]string{namespaceNameLabel: ns}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// merged returns base with extra added on top (neither is modified).
func merged(base, extra map[string]string) map[string]string {
	m := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

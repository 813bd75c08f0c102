package e2e

// Upstream specs about ports and protocols, including the UDP and SCTP
// contexts of the upstream suite.

import (
	corev1 "k8s.io/api/core/v1"
)

// The upstream Context texts that prefix the titles recurring in the UDP and
// SCTP contexts.
const (
	ctxUDP  = "NetworkPolicy between server and client using UDP "
	ctxSCTP = "NetworkPolicy between server and client using SCTP "
)

// upstreamPortCases returns upstream specs 14–19: rules limited to ports: by
// number, by name (ingress and egress), several policies on different ports of
// one pod, and allow-all.
func upstreamPortCases() []Case {
	var l upstreamList

	l.add("should enforce policy based on Ports",
		Step{
			Name:     "x/a allows namespace y on TCP 81",
			Policies: fixed(allowPort81FromY("allow-client-a-via-ns-selector", tcp)),
			Probes:   []ProbeExpect{tcpProbe(81, port81FromY())},
		})

	l.add("should enforce multiple, stacked policies with overlapping podSelectors",
		Step{
			Name:     "allow y on TCP 81 only",
			Policies: fixed(allowPort81FromY("allow-client-a-via-ns-selector", tcp)),
			Probes: []ProbeExpect{
				tcpProbe(81, port81FromY()),
				tcpProbe(80, allowAll().ExpectAllIngress(xa, false)),
			},
		},
		Step{
			Name: "add a policy allowing y on TCP 80",
			Policies: fixed(
				allowPort81FromY("allow-client-a-via-ns-selector", tcp),
				newPolicy("x", "allow-client-a-via-ns-selector-80", podSel("a"),
					withIngress(ingressRule(peers(nsPeer(nsNameSel("y"))), numPort(tcp, 80))))),
			Probes: []ProbeExpect{tcpProbe(80, port81FromY())},
		})

	l.add("should support allow-all policy",
		Step{
			Name: "allow-all in x",
			Policies: fixed(newPolicy("x", "allow-all", labelsSel(),
				withIngress(ingressRule(nil)))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll()), tcpProbe(81, allowAll())},
		})

	l.add("should allow ingress access on one named port",
		Step{
			Name: "x allows serve-81-tcp only",
			Policies: fixed(newPolicy("x", "allow-all", labelsSel(),
				withIngress(ingressRule(nil, namedPort(nil, "serve-81-tcp"))))),
			Probes: []ProbeExpect{
				tcpProbe(81, allowAll()),
				tcpProbe(80, allowAll().ExpectPeer(anyPod, inX, false)),
			},
		})

	l.add("should allow ingress access from namespace on one named port",
		Step{
			Name: "x/a allows namespace y on serve-80-tcp",
			Policies: fixed(newPolicy("x", "allow-client-a-via-ns-selector-80", podSel("a"),
				withIngress(ingressRule(peers(nsPeer(nsNameSel("y"))), namedPort(tcp, "serve-80-tcp"))))),
			Probes: []ProbeExpect{
				tcpProbe(80, allowAll().
					ExpectPeer(inX, pod("x", "a"), false).
					ExpectPeer(inZ, pod("x", "a"), false)),
				tcpProbe(81, allowAll().ExpectAllIngress(xa, false)),
			},
		})

	l.add("should allow egress access on one named port",
		Step{
			Name: "x allows egress to serve-80-tcp only",
			Policies: fixed(newPolicy("x", "allow-egress", labelsSel(),
				withEgress(egressRule(nil, namedPort(nil, "serve-80-tcp"))))),
			Probes: []ProbeExpect{
				tcpProbe(80, allowAll()),
				tcpProbe(81, allowAll().ExpectPeer(inX, anyPod, false)),
			},
		})

	return l
}

// upstreamAnyPortCases returns upstream spec 30: a rule with a protocol but no
// port allows every port of that protocol only.
func upstreamAnyPortCases() []Case {
	var l upstreamList

	l.add("should enforce ingress policy allowing any port traffic to a server on a specific protocol",
		Step{
			Name: "x/a allows any TCP port",
			Policies: fixed(newPolicy("x", "allow-ingress-by-proto", podSel("a"),
				withIngress(ingressRule(nil, anyPortOf(corev1.ProtocolTCP))))),
			Probes: []ProbeExpect{
				tcpProbe(80, allowAll()),
				udpProbe(80, allowAll().ExpectPeer(anyPod, pod("x", "a"), false)),
			},
		})

	return l
}

// upstreamProtocolCases returns upstream specs 38–40: rules on SCTP or UDP
// ports do not open TCP (probed with TCP, as upstream does in the main
// context).
func upstreamProtocolCases() []Case {
	var l upstreamList

	l.add("should not mistakenly treat 'protocol: SCTP' as 'protocol: TCP', even if the plugin doesn't support SCTP",
		Step{
			Name: "deny-ingress in x plus x/a allows SCTP 81",
			Policies: fixed(
				denyIngress("x", "deny-ingress"),
				newPolicy("x", "allow-only-sctp-ingress-on-port-81", podSel("a"),
					withIngress(ingressRule(nil, numPort(sctp, 81))))),
			Probes: []ProbeExpect{tcpProbe(81, allowAll().ExpectPeer(anyPod, inX, false))},
		})

	l.add("should properly isolate pods that are selected by a policy allowing SCTP, even if the plugin doesn't support SCTP",
		Step{
			Name: "x/a allows SCTP 80 only",
			Policies: fixed(newPolicy("x", "allow-only-sctp-ingress-on-port-80", podSel("a"),
				withIngress(ingressRule(nil, numPort(sctp, 80))))),
			Probes: []ProbeExpect{tcpProbe(81, allowAll().ExpectAllIngress(xa, false))},
		})

	l.add("should not allow access by TCP when a policy specifies only UDP",
		Step{
			Name: "x/a allows UDP 81 only",
			Policies: fixed(newPolicy("x", "allow-only-udp-ingress-on-port-81", podSel("a"),
				withIngress(ingressRule(nil, numPort(udp, 81))))),
			Probes: []ProbeExpect{tcpProbe(81, allowAll().ExpectAllIngress(xa, false))},
		})

	return l
}

// upstreamUDPCases returns upstream specs 43–45: the context "NetworkPolicy
// between server and client using UDP".
func upstreamUDPCases() []Case {
	var l upstreamList

	l.add(ctxUDP+"should support a 'default-deny-ingress' policy",
		Step{
			Name:     "deny-all ingress in x",
			Policies: fixed(denyIngress("x", "deny-all")),
			Probes:   []ProbeExpect{udpProbe(80, allowAll().ExpectPeer(anyPod, inX, false))},
		})

	l.add(ctxUDP+"should enforce policy based on Ports",
		Step{
			Name:     "x/a allows namespace y on UDP 81",
			Policies: fixed(allowPort81FromY("allow-ingress-on-port-81-ns-x", udp)),
			Probes: []ProbeExpect{udpProbe(81, allowAll().
				ExpectPeer(inX, pod("x", "a"), false).
				ExpectPeer(inZ, pod("x", "a"), false))},
		})

	l.add(ctxUDP+"should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector",
		nsYPodAStep(udpProbe))

	return l
}

// upstreamSCTPCases returns upstream specs 46–48: the context "NetworkPolicy
// between server and client using SCTP".
func upstreamSCTPCases() []Case {
	var l upstreamList

	l.add(ctxSCTP+"should support a 'default-deny-ingress' policy",
		Step{
			Name:     "deny-all ingress in x",
			Policies: fixed(denyIngress("x", "deny-all")),
			Probes:   []ProbeExpect{sctpProbe(80, allowAll().ExpectPeer(anyPod, inX, false))},
		})

	l.add(ctxSCTP+"should enforce policy based on Ports",
		Step{
			Name:     "x/a allows namespace y on SCTP 81",
			Policies: fixed(allowPort81FromY("allow-ingress-on-port-81-ns-x", sctp)),
			Probes: []ProbeExpect{sctpProbe(81, allowAll().
				ExpectPeer(inX, pod("x", "a"), false).
				ExpectPeer(inZ, pod("x", "a"), false))},
		})

	l.add(ctxSCTP+"should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector",
		nsYPodAStep(sctpProbe))

	return l
}

// nsYPodAStep is the spec "allow traffic only from a pod in a different
// namespace based on PodSelector and NamespaceSelector", which upstream runs
// for TCP, UDP and SCTP on port 80.
func nsYPodAStep(probeOn func(int32, *Reachability) ProbeExpect) Step {
	return Step{
		Name: "x/a allows namespace y and pod a",
		Policies: fixed(newPolicy("x", "allow-ns-y-pod-a-via-namespace-pod-selector", podSel("a"),
			withIngress(ingressRule(peers(nsPodsPeer(nsNameSel("y"), podSel("a"))))))),
		Probes: []ProbeExpect{probeOn(80, allowAll().
			ExpectAllIngress(xa, false).
			Expect(ya, xa, true))},
	}
}

// allowPort81FromY is upstream's "allowPort81Policy": x/a accepts namespace
// y on port 81 of one protocol.
func allowPort81FromY(name string, proto *corev1.Protocol) *np {
	return newPolicy("x", name, podSel("a"),
		withIngress(ingressRule(peers(nsPeer(nsNameSel("y"))), numPort(proto, 81))))
}

// port81FromY is upstream's reachabilityALLOW for allowPort81Policy.
func port81FromY() *Reachability {
	return allowAll().
		ExpectPeer(inX, pod("x", "a"), false).
		ExpectPeer(inY, pod("x", "a"), true).
		ExpectPeer(inZ, pod("x", "a"), false)
}

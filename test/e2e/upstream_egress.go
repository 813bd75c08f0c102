package e2e

// Upstream specs about egress rules.

import (
	networkingv1 "k8s.io/api/networking/v1"
)

// upstreamEgressCases returns upstream specs 25–29: egress rules: denied per
// pod and per namespace, ingress and egress in one policy, and the client's
// egress denying what the server's ingress allows.
func upstreamEgressCases() []Case {
	var l upstreamList

	l.add("should deny egress from pods based on PodSelector",
		Step{
			Name:     "deny egress from x/a",
			Policies: fixed(newPolicy("x", "deny-egress-pod-a", podSel("a"), withEgress())),
			Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectAllEgress(xa, false))},
		})

	l.add("should deny egress from all pods in a namespace",
		Step{
			Name:     "deny egress from x",
			Policies: fixed(newPolicy("x", "deny-egress-ns-x", selectAll(), withEgress())),
			Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(inX, anyPod, false))},
		})

	l.add("should work with Ingress, Egress specified together",
		Step{
			Name: "x/a: ingress from pod b, egress to port 80",
			Policies: fixed(newPolicy("x", "allow-client-a-via-pod-selector", podSel("a"),
				withIngress(ingressRule(peers(podsPeer(podSel("b"))))),
				withEgress(egressRule(nil, numPort(nil, 80))),
				withPolicyTypes(networkingv1.PolicyTypeEgress, networkingv1.PolicyTypeIngress))),
			Probes: []ProbeExpect{
				tcpProbe(80, allowAll().
					ExpectAllIngress(xa, false).
					Expect(xb, xa, true)),
				tcpProbe(81, allowAll().
					ExpectAllIngress(xa, false).
					ExpectAllEgress(xa, false).
					Expect(xb, xa, true)),
			},
		})

	xaOnly := nsPodsPeer(nsNameSel("x"), podSel("a"))
	l.add("should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)",
		Step{
			Name: "x/a egress to y/a only; y/a and y/b allow ingress from x/a",
			Policies: fixed(
				egressToYA(),
				newPolicy("y", "allow-from-xa-on-ya-match-selector", podSel("a"),
					withIngress(ingressRule(peers(xaOnly)))),
				newPolicy("y", "allow-from-xa-on-yb-match-selector", podSel("b"),
					withIngress(ingressRule(peers(xaOnly))))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectPeer(pod("x", "a"), anyPod, false).
				ExpectPeer(anyPod, pod("y", "a"), false).
				ExpectPeer(pod("x", "a"), pod("y", "a"), true).
				ExpectPeer(anyPod, pod("y", "b"), false))},
		})

	l.add("should enforce egress policy allowing traffic to a server in a different namespace based on PodSelector and NamespaceSelector",
		Step{
			Name:     "x/a egress to y/a only",
			Policies: fixed(egressToYA()),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectAllEgress(xa, false).
				Expect(xa, ya, true))},
		})

	return l
}

// egressToYA lets x/a send only to pod a in namespace y.
func egressToYA() *np {
	return newPolicy("x", "allow-to-ns-y-pod-a", podSel("a"),
		withEgress(egressRule(peers(nsPodsPeer(nsNameSel("y"), podSel("a"))))))
}

package e2e

// Upstream specs that change policies or labels between validations (each
// validation point is a Step with the complete state), or stack several
// policies on one pod.

// upstreamUpdateCases returns upstream specs 20–22: a policy updated in place,
// and a namespace and a pod relabelled into a policy's peers.
func upstreamUpdateCases() []Case {
	var l upstreamList

	l.add("should enforce updated policy",
		Step{
			Name: "allow all ingress in x",
			Policies: fixed(newPolicy("x", "allow-all-mutate-to-deny-all", labelsSel(),
				withIngress(ingressRule(nil)))),
			Probes: []ProbeExpect{tcpProbe(81, allowAll())},
		},
		Step{
			Name: "policy updated to an empty ingress list",
			Policies: fixed(newPolicy("x", "allow-all-mutate-to-deny-all", labelsSel(),
				withIngress())),
			Probes: []ProbeExpect{tcpProbe(81, allowAll().ExpectPeer(anyPod, inX, false))},
		})

	allowNs2 := newPolicy("x", "allow-client-a-via-ns-selector", podSel("a"),
		withIngress(ingressRule(peers(nsPeer(labelsSel("ns2", "updated"))))))
	l.add("should allow ingress access from updated namespace",
		Step{
			Name:     "no namespace has ns2=updated",
			Policies: fixed(allowNs2),
			Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectAllIngress(xa, false))},
		},
		Step{
			Name:            "namespace y labelled ns2=updated",
			Policies:        fixed(allowNs2),
			NamespaceLabels: map[string]map[string]string{"y": merged(DefaultNamespaceLabels("y"), map[string]string{"ns2": "updated"})},
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectAllIngress(xa, false).
				ExpectPeer(inY, anyPod, true))},
		})

	allowPod2 := newPolicy("x", "allow-client-a-via-pod-selector", podSel("a"),
		withIngress(ingressRule(peers(podsPeer(labelsSel("pod", "b", "pod2", "updated"))))))
	l.add("should allow ingress access from updated pod",
		Step{
			Name:     "no pod has pod2=updated",
			Policies: fixed(allowPod2),
			Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectAllIngress(xa, false))},
		},
		Step{
			Name:      "x/b labelled pod2=updated",
			Policies:  fixed(allowPod2),
			PodLabels: map[string]map[string]string{xb: {"pod": "b", "pod2": "updated"}},
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectAllIngress(xa, false).
				Expect(xb, xa, true))},
		})

	return l
}

// upstreamStackingCases returns upstream specs 31–33: several policies on one
// pod: an allow-all added next to a narrower policy takes precedence (ingress,
// egress), and deleting every policy lifts isolation.
func upstreamStackingCases() []Case {
	var l upstreamList

	allowIngress80 := newPolicy("x", "allow-ingress-port-80", labelsSel(),
		withIngress(ingressRule(nil, numPort(nil, 80))))
	l.add("should enforce multiple ingress policies with ingress allow-all policy taking precedence",
		Step{
			Name:     "x allows ingress to port 80 only",
			Policies: fixed(allowIngress80),
			Probes:   []ProbeExpect{tcpProbe(81, allowAll().ExpectPeer(anyPod, inX, false))},
		},
		Step{
			Name: "add allow-all ingress in x",
			Policies: fixed(allowIngress80,
				newPolicy("x", "allow-ingress", labelsSel(), withIngress(ingressRule(nil)))),
			Probes: []ProbeExpect{tcpProbe(81, allowAll())},
		})

	allowEgress80 := newPolicy("x", "allow-egress-port-80", labelsSel(),
		withEgress(egressRule(nil, numPort(nil, 80))))
	l.add("should enforce multiple egress policies with egress allow-all policy taking precedence",
		Step{
			Name:     "x allows egress to port 80 only",
			Policies: fixed(allowEgress80),
			Probes:   []ProbeExpect{tcpProbe(81, allowAll().ExpectPeer(inX, anyPod, false))},
		},
		Step{
			Name: "add allow-all egress in x",
			Policies: fixed(allowEgress80,
				newPolicy("x", "allow-egress", labelsSel(), withEgress(egressRule(nil)))),
			Probes: []ProbeExpect{tcpProbe(81, allowAll())},
		})

	l.add("should stop enforcing policies after they are deleted",
		Step{
			Name:     "deny-all in x",
			Policies: fixed(denyIngressEgress("x", "deny-all")),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectPeer(inX, anyPod, false).
				ExpectPeer(anyPod, inX, false))},
		},
		Step{
			Name:     "all policies deleted",
			Policies: noPolicies,
			Probes:   []ProbeExpect{tcpProbe(80, allowAll())},
		})

	return l
}

// upstreamIndependentCases returns upstream spec 37: ingress and egress
// isolation of one pod, added by separate policies, are independent.
func upstreamIndependentCases() []Case {
	var l upstreamList

	allowEgressA := newPolicy("x", "allow-egress-for-target", podSel("a"),
		withEgress(egressRule(nil)))
	l.add("should enforce policies to check ingress and egress policies can be controlled independently based on PodSelector",
		Step{
			Name:     "x/a allows all egress",
			Policies: fixed(allowEgressA),
			Probes:   []ProbeExpect{tcpProbe(80, allowAll())},
		},
		Step{
			Name: "add deny ingress to x/a",
			Policies: fixed(allowEgressA,
				newPolicy("x", "deny-ingress-via-label-selector", podSel("a"), withIngress())),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().ExpectAllIngress(xa, false))},
		})

	return l
}

package e2e

// Upstream specs about ingress isolation: default deny and deny rules.

// upstreamDefaultDenyCases returns upstream specs 1–2: the default-deny specs:
// all ingress, then ingress and egress, denied in namespace x.
func upstreamDefaultDenyCases() []Case {
	var l upstreamList

	l.add("should support a 'default-deny-ingress' policy",
		Step{
			Name:     "deny-ingress in x",
			Policies: fixed(denyIngress("x", "deny-ingress")),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().ExpectPeer(anyPod, inX, false))},
		})

	l.add("should support a 'default-deny-all' policy",
		Step{
			Name:     "deny-all in x",
			Policies: fixed(denyIngressEgress("x", "deny-all")),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectPeer(anyPod, inX, false).
					ExpectPeer(inX, anyPod, false))},
		})

	return l
}

// upstreamDenyIngressCases returns upstream specs 23–24: ingress denied to a
// namespace's pods from other namespaces, and to a pod relabelled into a deny
// policy's podSelector.
func upstreamDenyIngressCases() []Case {
	var l upstreamList

	l.add("should deny ingress from pods on other namespaces",
		Step{
			Name: "x allows ingress from its own pods",
			Policies: fixed(newPolicy("x", "deny-empty-policy", selectAll(),
				withIngress(ingressRule(peers(podsPeer(labelsSel())))))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectPeer(inY, inX, false).
				ExpectPeer(inZ, inX, false))},
		})

	isolateTarget := newPolicy("x", "deny-ingress-via-label-selector", labelsSel("target", "isolated"),
		withIngress())
	l.add("should deny ingress access to updated pod",
		Step{
			Name:     "no pod has target=isolated",
			Policies: fixed(isolateTarget),
			Probes:   []ProbeExpect{tcpProbe(80, allowAll())},
		},
		Step{
			Name:      "x/a labelled target=isolated",
			Policies:  fixed(isolateTarget),
			PodLabels: map[string]map[string]string{xa: {"pod": "a", "target": "isolated"}},
			Probes:    []ProbeExpect{tcpProbe(80, allowAll().ExpectAllIngress(xa, false))},
		})

	return l
}

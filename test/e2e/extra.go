package e2e

// Cases the upstream suite lacks. Their truth tables are written by hand
// from the NetworkPolicy API semantics; each case says in a comment why the
// table is what it is.

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ExtraCases returns the cases beyond the upstream suite.
func ExtraCases() []Case {
	var cases []Case
	cases = append(cases, endPortCases()...)
	cases = append(cases, ipBlockExceptCases()...)
	cases = append(cases, familyCases()...)
	cases = append(cases, nodeCases()...)
	cases = append(cases, namedPortCases()...)
	cases = append(cases, selectorOperatorCases()...)
	cases = append(cases, peerCombinationCases()...)
	return cases
}

// endPortCases: a port with endPort covers port..endPort inclusive, for its
// protocol only.
func endPortCases() []Case {
	xbToXA := func() *Reachability { return allowAll().ExpectAllIngress(xa, false).Expect(xb, xa, true) }
	isolatedXA := func() *Reachability { return allowAll().ExpectAllIngress(xa, false) }
	egressRange := func(from, to int32) *np {
		return newPolicy("x", "allow-egress-tcp-range", podSel("a"),
			withEgress(egressRule(nil, portRange(tcp, from, to))))
	}
	return []Case{
		{
			// 80 and 81 are both inside 80-81: x/b gets through on both. The
			// range is TCP only, so UDP 80 finds x/a isolated.
			Name: "endPort: ingress TCP 80-81 from x/b to x/a admits both ports",
			Steps: []Step{{
				Name: "x/a allows x/b on TCP 80-81",
				Policies: fixed(newPolicy("x", "allow-x-b-tcp-80-81", podSel("a"),
					withIngress(ingressRule(peers(podsPeer(podSel("b"))), portRange(tcp, 80, 81))))),
				Probes: []ProbeExpect{
					tcpProbe(80, xbToXA()),
					tcpProbe(81, xbToXA()),
					udpProbe(80, isolatedXA()),
				},
			}},
		},
		{
			// 81 is the range's first port; 80 lies below it.
			Name: "endPort: ingress TCP 81-90 from x/b to x/a admits 81 only",
			Steps: []Step{{
				Name: "x/a allows x/b on TCP 81-90",
				Policies: fixed(newPolicy("x", "allow-x-b-tcp-81-90", podSel("a"),
					withIngress(ingressRule(peers(podsPeer(podSel("b"))), portRange(tcp, 81, 90))))),
				Probes: []ProbeExpect{
					tcpProbe(80, isolatedXA()),
					tcpProbe(81, xbToXA()),
				},
			}},
		},
		{
			// x/a may send to anyone, but only within the range; the update
			// moves the range from above 80 to ending at 80.
			Name: "endPort: egress from x/a limited to a TCP range, then the range updated",
			Steps: []Step{
				{
					Name:     "x/a egress to TCP 81-90",
					Policies: fixed(egressRange(81, 90)),
					Probes: []ProbeExpect{
						tcpProbe(80, allowAll().ExpectAllEgress(xa, false)),
						tcpProbe(81, allowAll()),
					},
				},
				{
					Name:     "range updated to TCP 70-80",
					Policies: fixed(egressRange(70, 80)),
					Probes: []ProbeExpect{
						tcpProbe(80, allowAll()),
						tcpProbe(81, allowAll().ExpectAllEgress(xa, false)),
					},
				},
			},
		},
	}
}

// ipBlockExceptCases: ingress ipBlock with except, matched on the source.
func ipBlockExceptCases() []Case {
	return []Case{{
		// The CIDR covers every pod IP; only x/b's own address is carved out,
		// so x/b is the one client x/a refuses.
		Name: "ipBlock: ingress from a CIDR covering all pods except x/b's address",
		Steps: []Step{{
			Name:     "x/a allows the covering CIDR except x/b",
			Policies: ingressCoverExceptXB,
			Probes: []ProbeExpect{
				tcpProbe(80, allowAll().Expect(xb, xa, false)),
				udpProbe(81, allowAll().Expect(xb, xa, false)),
			},
		}},
	}}
}

func ingressCoverExceptXB(e Env) []*np {
	return []*np{newPolicy("x", "allow-cidr-except-x-b", podSel("a"),
		withIngress(ingressRule(peers(ipBlockPeer(coveringCIDR(e), hostCIDR(e, "x", "b"))))))}
}

// familyCases: IPv6-only variants, and dual-stack cases where a policy
// names CIDRs of both families and only the family of the packet may count.
func familyCases() []Case {
	v6 := []int{6}
	return []Case{
		{
			// Same policy and table as the upstream namespace+pod selector
			// spec; the point is that selectors resolve to IPv6 addresses.
			Name:     "IPv6: ingress only from pod a in namespace y (one peer, both selectors)",
			Families: v6,
			Steps:    []Step{nsYPodAStep(tcpProbe)},
		},
		{
			Name:     "IPv6: egress from x/a only to y/b's /128",
			Families: v6,
			Steps: []Step{{
				Name: "x/a egress to y/b's host CIDR only",
				Policies: func(e Env) []*np {
					return []*np{newPolicy("x", "allow-client-a-via-cidr-egress-rule", podSel("a"),
						withEgress(egressRule(peers(ipBlockPeer(hostCIDR(e, "y", "b"))))))}
				},
				Probes: []ProbeExpect{tcpProbe(80, allowAll().
					ExpectAllEgress(xa, false).
					Expect(xa, yb, true))},
			}},
		},
		{
			Name:     "IPv6: ingress from a CIDR covering all pods except x/b's /128",
			Families: v6,
			Steps: []Step{{
				Name:     "x/a allows the covering CIDR except x/b",
				Policies: ingressCoverExceptXB,
				Probes:   []ProbeExpect{tcpProbe(80, allowAll().Expect(xb, xa, false))},
			}},
		},
		{
			// The whole other family (0.0.0.0/0 under IPv6, ::/0 under IPv4)
			// matches no packet of the family under test; x/b's own host
			// CIDR is the only peer that counts.
			Name: "dual-stack: an ingress ipBlock of the other family admits nobody",
			Steps: []Step{{
				Name: "x/a allows the other family's /0 and x/b's host CIDR",
				Policies: func(e Env) []*np {
					return []*np{newPolicy("x", "allow-other-family-and-x-b", podSel("a"),
						withIngress(ingressRule(peers(
							ipBlockPeer(otherFamilyAll(e)),
							ipBlockPeer(hostCIDR(e, "x", "b"))))))}
				},
				Probes: []ProbeExpect{tcpProbe(80, allowAll().
					ExpectAllIngress(xa, false).
					Expect(xb, xa, true))},
			}},
		},
		{
			Name: "dual-stack: an egress ipBlock of the other family reaches nobody",
			Steps: []Step{{
				Name: "x/a egress to the other family's /0 only",
				Policies: func(e Env) []*np {
					return []*np{newPolicy("x", "allow-egress-other-family", podSel("a"),
						withEgress(egressRule(peers(ipBlockPeer(otherFamilyAll(e))))))}
				},
				Probes: []ProbeExpect{tcpProbe(80, allowAll().ExpectAllEgress(xa, false))},
			}},
		},
		{
			// Both /0 blocks together cover every address of either family.
			Name: "dual-stack: ingress from 0.0.0.0/0 and ::/0 admits everyone despite default deny",
			Steps: []Step{{
				Name: "deny-ingress in x, x/a allows both /0 blocks",
				Policies: fixed(
					denyIngress("x", "deny-ingress"),
					newPolicy("x", "allow-both-families", podSel("a"),
						withIngress(ingressRule(peers(ipBlockPeer("0.0.0.0/0"), ipBlockPeer("::/0")))))),
				Probes: []ProbeExpect{tcpProbe(80, allowAll().
					ExpectPeer(anyPod, inX, false).
					ExpectAllIngress(xa, true))},
			}},
		},
	}
}

// nodeCases: traffic from a pod's own node is always allowed (the kubelet's
// health checks depend on it), whatever the policies say.
func nodeCases() []Case {
	var nodeProbes []NodeProbe
	for _, p := range AllPods() {
		nodeProbes = append(nodeProbes, NodeProbe{To: p, Protocol: corev1.ProtocolTCP, Port: 80, Expect: true})
	}
	return []Case{{
		Name: "node: the local node reaches its pods under default-deny ingress everywhere",
		Steps: []Step{{
			Name: "deny-ingress in x, y and z",
			Policies: fixed(
				denyIngress("x", "deny-ingress"),
				denyIngress("y", "deny-ingress"),
				denyIngress("z", "deny-ingress")),
			Probes:     []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(anyPod, anyPod, false))},
			NodeProbes: nodeProbes,
		}},
	}}
}

// namedPortCases: a named port resolves against the containers of the pod
// receiving the traffic — the destination for egress, the selected pod for
// ingress — so one name can mean different numbers for different pods.
func namedPortCases() []Case {
	return []Case{
		{
			// "http" is 80/TCP on x/b and 81/TCP on x/c and is declared by no
			// other pod. The peer is podSelector {} without a namespace
			// selector, i.e. pods in x only. x/a therefore reaches x/b on 80
			// and x/c on 81 and nothing else (UDP included: "http" is TCP).
			Name: "named port: egress \"http\" resolves per destination pod",
			ContainerPorts: map[string][]corev1.ContainerPort{
				xb: renamedPort(80, corev1.ProtocolTCP, "http"),
				xc: renamedPort(81, corev1.ProtocolTCP, "http"),
			},
			Steps: []Step{{
				Name: "x/a egress to pods in x on port http",
				Policies: fixed(newPolicy("x", "allow-egress-http", podSel("a"),
					withEgress(egressRule(peers(podsPeer(selectAll())), namedPort(nil, "http"))))),
				Probes: []ProbeExpect{
					tcpProbe(80, allowAll().ExpectAllEgress(xa, false).Expect(xa, xb, true)),
					tcpProbe(81, allowAll().ExpectAllEgress(xa, false).Expect(xa, xc, true)),
					udpProbe(80, allowAll().ExpectAllEgress(xa, false)),
				},
			}},
		},
		{
			// Every pod in x is isolated; "http" opens 80/TCP on x/a and
			// 81/TCP on x/b, to anyone. x/c declares no "http" and stays shut.
			Name: "named port: ingress \"http\" resolves per selected pod",
			ContainerPorts: map[string][]corev1.ContainerPort{
				xa: renamedPort(80, corev1.ProtocolTCP, "http"),
				xb: renamedPort(81, corev1.ProtocolTCP, "http"),
			},
			Steps: []Step{{
				Name: "x allows ingress on port http from anywhere",
				Policies: fixed(newPolicy("x", "allow-ingress-http", selectAll(),
					withIngress(ingressRule(nil, namedPort(nil, "http"))))),
				Probes: []ProbeExpect{
					tcpProbe(80, allowAll().ExpectPeer(anyPod, inX, false).ExpectAllIngress(xa, true)),
					tcpProbe(81, allowAll().ExpectPeer(anyPod, inX, false).ExpectAllIngress(xb, true)),
				},
			}},
		},
	}
}

// selectorOperatorCases: NotIn, Exists and DoesNotExist, including objects
// that lack the key (NotIn and DoesNotExist match those; In and Exists do
// not).
func selectorOperatorCases() []Case {
	notInY := newPolicy("x", "allow-ns-not-in-y", podSel("a"),
		withIngress(ingressRule(peers(nsPeer(exprSel(req("ns", metav1.LabelSelectorOpNotIn, "y")))))))
	noPodLabel := newPolicy("x", "allow-pods-without-pod-label", podSel("a"),
		withIngress(ingressRule(peers(podsPeer(exprSel(req("pod", metav1.LabelSelectorOpDoesNotExist)))))))
	notInX := newPolicy("x", "allow-ns-not-in-x", podSel("a"),
		withIngress(ingressRule(peers(nsPeer(exprSel(req("ns", metav1.LabelSelectorOpNotIn, "x")))))))
	inYZ := newPolicy("x", "allow-ns-in-y-z", podSel("a"),
		withIngress(ingressRule(peers(nsPeer(exprSel(req("ns", metav1.LabelSelectorOpIn, "y", "z")))))))
	nsExists := newPolicy("x", "allow-ns-with-ns-label", podSel("a"),
		withIngress(ingressRule(peers(nsPeer(exprSel(req("ns", metav1.LabelSelectorOpExists)))))))
	yWithoutNs := map[string]map[string]string{"y": nsLabels("y")}

	return []Case{
		{
			Name: "selector: namespaceSelector ns NotIn [y] admits x and z",
			Steps: []Step{{
				Name:     "x/a allows namespaces with ns NotIn [y]",
				Policies: fixed(notInY),
				Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(inY, pod("x", "a"), false))},
			}},
		},
		{
			// Every pod carries "pod", so the peer (pods of x without it)
			// is empty, until x/c is relabelled without the key.
			Name: "selector: podSelector pod DoesNotExist matches no pod until one loses the label",
			Steps: []Step{
				{
					Name:     "x/a allows pods of x without a pod label",
					Policies: fixed(noPodLabel),
					Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectAllIngress(xa, false))},
				},
				{
					Name:      "x/c relabelled to {name: c}",
					Policies:  fixed(noPodLabel),
					PodLabels: map[string]map[string]string{xc: {"name": "c"}},
					Probes: []ProbeExpect{tcpProbe(80, allowAll().
						ExpectAllIngress(xa, false).
						Expect(xc, xa, true))},
				},
			},
		},
		{
			// Namespace y loses its "ns" label (it keeps the API server's
			// name label). NotIn [x] still matches it; In [y, z] and Exists
			// no longer do.
			Name: "selector: NotIn matches a namespace without the key, In and Exists do not",
			Steps: []Step{
				{
					Name:     "default labels, ns NotIn [x]",
					Policies: fixed(notInX),
					Probes:   []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(inX, pod("x", "a"), false))},
				},
				{
					Name:            "y without ns label, ns NotIn [x]",
					Policies:        fixed(notInX),
					NamespaceLabels: yWithoutNs,
					Probes:          []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(inX, pod("x", "a"), false))},
				},
				{
					Name:            "y without ns label, ns In [y, z]",
					Policies:        fixed(inYZ),
					NamespaceLabels: yWithoutNs,
					Probes: []ProbeExpect{tcpProbe(80, allowAll().
						ExpectPeer(inX, pod("x", "a"), false).
						ExpectPeer(inY, pod("x", "a"), false))},
				},
				{
					Name:            "y without ns label, ns Exists",
					Policies:        fixed(nsExists),
					NamespaceLabels: yWithoutNs,
					Probes:          []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(inY, pod("x", "a"), false))},
				},
			},
		},
	}
}

// peerCombinationCases: two peers in a rule are ORed; the two selectors of
// one peer are ANDed.
func peerCombinationCases() []Case {
	return []Case{{
		// x/a: namespace y (all its pods) OR pod b of x.
		// x/b: pod b in namespace y, nothing else.
		Name: "peers: two peers (OR) next to one peer with both selectors (AND)",
		Steps: []Step{{
			Name: "x/a allows ns=y or pod=b; x/b allows ns=y and pod=b",
			Policies: fixed(
				newPolicy("x", "or-peers", podSel("a"),
					withIngress(ingressRule(peers(nsPeer(labelsSel("ns", "y")), podsPeer(podSel("b")))))),
				newPolicy("x", "and-peer", podSel("b"),
					withIngress(ingressRule(peers(nsPodsPeer(labelsSel("ns", "y"), podSel("b"))))))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectAllIngress(xa, false).
				ExpectPeer(inY, pod("x", "a"), true).
				Expect(xb, xa, true).
				ExpectAllIngress(xb, false).
				Expect(yb, xb, true))},
		}},
	}}
}

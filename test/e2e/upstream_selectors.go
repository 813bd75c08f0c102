package e2e

// Upstream specs about peers chosen by pod and namespace selectors.

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// upstreamSelectorCases returns upstream specs 3–13: ingress to x/a allowed by
// podSelector, namespaceSelector, both in one peer (AND), several peers (OR),
// matchLabels and matchExpressions.
func upstreamSelectorCases() []Case {
	var l upstreamList

	l.add("should enforce policy to allow traffic from pods within server namespace based on PodSelector",
		Step{
			Name: "x/a allows x/b",
			Policies: fixed(newPolicy("x", "x-a-allows-x-b", podSel("a"),
				withIngress(ingressRule(peers(podsPeer(podSel("b"))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectAllIngress(xa, false).
					Expect(xb, xa, true))},
		})

	l.add("should enforce policy to allow ingress traffic for a target",
		Step{
			Name: "deny-all in x, then allow all to x/a",
			Policies: fixed(
				denyIngress("x", "deny-all"),
				newPolicy("x", "allow-all-to-a", podSel("a"),
					withIngress(ingressRule(peers(nsPodsPeer(selectAll(), selectAll())))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectAllIngress(xa, true).
					ExpectAllIngress(xb, false).
					ExpectAllIngress(xc, false))},
		})

	l.add("should enforce policy to allow ingress traffic from pods in all namespaces",
		Step{
			Name: "x/a allows every namespace",
			Policies: fixed(newPolicy("x", "allow-from-another-ns", podSel("a"),
				withIngress(ingressRule(peers(nsPeer(labelsSel())))))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll())},
		})

	l.add("should enforce policy to allow traffic only from a different namespace, based on NamespaceSelector",
		Step{
			Name: "x/a allows namespace y",
			Policies: fixed(newPolicy("x", "allow-client-a-via-ns-selector", podSel("a"),
				withIngress(ingressRule(peers(nsPeer(nsNameSel("y"))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectPeer(inX, pod("x", "a"), false).
					ExpectPeer(inZ, pod("x", "a"), false))},
		})

	l.add("should enforce policy based on PodSelector with MatchExpressions",
		Step{
			Name: "x/a allows pod In [b]",
			Policies: fixed(newPolicy("x", "x-a-allows-x-b", podSel("a"),
				withIngress(ingressRule(peers(podsPeer(exprSel(req("pod", metav1.LabelSelectorOpIn, "b")))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectAllIngress(xa, false).
					Expect(xb, xa, true))},
		})

	l.add("should enforce policy based on NamespaceSelector with MatchExpressions",
		Step{
			Name: "x/a allows namespace In [y]",
			Policies: fixed(newPolicy("x", "allow-ns-y-match-selector", podSel("a"),
				withIngress(ingressRule(peers(nsPeer(exprSel(req(namespaceNameLabel, metav1.LabelSelectorOpIn, "y")))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectPeer(inX, pod("x", "a"), false).
					ExpectPeer(inZ, pod("x", "a"), false))},
		})

	l.add("should enforce policy based on PodSelector or NamespaceSelector",
		Step{
			Name: "x/a allows namespace NotIn [x] or pod b",
			Policies: fixed(newPolicy("x", "allow-ns-y-match-selector", podSel("a"),
				withIngress(ingressRule(peers(
					nsPeer(exprSel(req(namespaceNameLabel, metav1.LabelSelectorOpNotIn, "x"))),
					podsPeer(podSel("b"))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					// Upstream also sets x/a -> x/a to false here; that cell is
					// loopback, which upstream does not judge and probe()
					// marks allowed.
					Expect(xa, xa, false).
					Expect(xc, xa, false))},
		})

	l.add("should enforce policy based on PodSelector and NamespaceSelector",
		Step{
			Name: "x/a allows namespace NotIn [x] and pod b",
			Policies: fixed(newPolicy("x", "allow-ns-y-podselector-and-nsselector", podSel("a"),
				withIngress(ingressRule(peers(nsPodsPeer(
					exprSel(req(namespaceNameLabel, metav1.LabelSelectorOpNotIn, "x")),
					podSel("b"))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectAllIngress(xa, false).
					Expect(yb, xa, true).
					Expect(zb, xa, true))},
		})

	l.add("should enforce policy based on Multiple PodSelectors and NamespaceSelectors",
		Step{
			Name: "x/a allows namespace NotIn [x] and pod In [b, c]",
			Policies: fixed(newPolicy("x", "allow-ns-y-z-pod-b-c", podSel("a"),
				withIngress(ingressRule(peers(nsPodsPeer(
					exprSel(req(namespaceNameLabel, metav1.LabelSelectorOpNotIn, "x")),
					exprSel(req("pod", metav1.LabelSelectorOpIn, "b", "c")))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectPeer(inX, pod("x", "a"), false).
					Expect(ya, xa, false).
					Expect(za, xa, false))},
		})

	l.add("should enforce policy based on any PodSelectors",
		Step{
			Name: "x/a allows pod b or pod c",
			Policies: fixed(newPolicy("x", "allow-ns-x-pod-b-c", podSel("a"),
				withIngress(ingressRule(peers(podsPeer(podSel("b")), podsPeer(podSel("c"))))))),
			Probes: []ProbeExpect{tcpProbe(80,
				allowAll().
					ExpectAllIngress(xa, false).
					Expect(xb, xa, true).
					Expect(xc, xa, true))},
		})

	l.add("should enforce policy to allow traffic only from a pod in a different namespace based on PodSelector and NamespaceSelector",
		nsYPodAStep(tcpProbe))

	return l
}

// upstreamNamespaceLabelCases returns upstream specs 41–42: namespaceSelector
// on the label the API server sets on every namespace
// (kubernetes.io/metadata.name), with matchLabels and matchExpressions.
func upstreamNamespaceLabelCases() []Case {
	var l upstreamList

	l.add("should enforce policy to allow traffic based on NamespaceSelector with MatchLabels using default ns label",
		Step{
			Name: "x/a allows kubernetes.io/metadata.name=y",
			Policies: fixed(newPolicy("x", "allow-client-a-via-ns-selector-for-immutable-ns-label", podSel("a"),
				withIngress(ingressRule(peers(nsPeer(nsNameSel("y"))))))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectPeer(inX, pod("x", "a"), false).
				ExpectPeer(inZ, pod("x", "a"), false))},
		})

	l.add("should enforce policy based on NamespaceSelector with MatchExpressions using default ns label",
		Step{
			Name: "x/a egress to kubernetes.io/metadata.name NotIn [y]",
			Policies: fixed(newPolicy("x", "allow-ns-y-match-selector-for-immutable-ns-label", podSel("a"),
				withEgress(egressRule(peers(nsPeer(exprSel(req(namespaceNameLabel, metav1.LabelSelectorOpNotIn, "y")))))))),
			Probes: []ProbeExpect{tcpProbe(80, allowAll().ExpectPeer(pod("x", "a"), inY, false))},
		})

	return l
}

package conformance

import "strings"

// Cases returns the 30 tests of the network-policy-api v0.3.0 conformance suite (conformance/tests), in the order
// of their files there: 24 standard (Admin tier with the integration test, then Baseline tier) and 6
// experimental (named ports, node peers).
func Cases() []Case {
	admin := func(name, file string) tierCase { return tierCase{name, "base/admin_tier/" + file} }
	baseline := func(name, file string) tierCase { return tierCase{name, "base/baseline_tier/" + file} }
	return []Case{
		adminEgressNamedPort(),
		adminEgressNodePeers(),
		adminIngressNamedPort(),
		inlineCIDRCase(admin("CNPAdminTierEgressInlineCIDRPeers", "standard-egress-inline-cidr-rules.yaml"), "inline-cidr-as-peers-example"),
		egressSCTPCase(admin("CNPAdminTierEgressSCTP", "standard-egress-sctp-rules.yaml"), "egress-sctp"),
		egressTCPCase(admin("CNPAdminTierEgressTCP", "standard-egress-tcp-rules.yaml"), "egress-tcp"),
		egressUDPCase(admin("CNPAdminTierEgressUDP", "standard-egress-udp-rules.yaml"), "egress-udp"),
		gressCase(admin("CNPAdminTierGress", "standard-gress-rules-combined.yaml"), "gress-rules"),
		ingressSCTPCase(admin("CNPAdminTierIngressSCTP", "standard-ingress-sctp-rules.yaml"), "ingress-sctp"),
		ingressTCPCase(admin("CNPAdminTierIngressTCP", "standard-ingress-tcp-rules.yaml"), "ingress-tcp"),
		ingressUDPCase(admin("CNPAdminTierIngressUDP", "standard-ingress-udp-rules.yaml"), "ingress-udp"),
		adminIntegration(),
		podSelectorCase(admin("CNPAdminTierPodSelector", "standard-pod-selector-rules.yaml")),
		portRangeCase(admin("CNPAdminTierPortRange", "standard-port-range-rules-combined.yaml")),
		adminPriorityField(),
		adminSamePriority(),

		baselineEgressNamedPort(),
		baselineEgressNodePeers(),
		baselineIngressNamedPort(),
		inlineCIDRCase(baseline("CNPBaselineTierEgressInlineCIDRPeers", "standard-egress-inline-cidr-rules.yaml"), "default"),
		withoutPass(egressSCTPCase(baseline("CNPBaselineTierEgressSCTP", "standard-egress-sctp-rules.yaml"), "default")),
		withoutPass(egressTCPCase(baseline("CNPBaselineTierEgressTCP", "standard-egress-tcp-rules.yaml"), "default")),
		withoutPass(egressUDPCase(baseline("CNPBaselineTierEgressUDP", "standard-egress-udp-rules.yaml"), "default")),
		withoutPass(gressCase(baseline("CNPBaselineTierGress", "standard-gress-rules-combined.yaml"), "default")),
		withoutPass(ingressSCTPCase(baseline("CNPBaselineTierIngressSCTP", "standard-ingress-sctp-rules.yaml"), "default")),
		withoutPass(ingressTCPCase(baseline("CNPBaselineTierIngressTCP", "standard-ingress-tcp-rules.yaml"), "default")),
		withoutPass(ingressUDPCase(baseline("CNPBaselineTierIngressUDP", "standard-ingress-udp-rules.yaml"), "default")),
		podSelectorCase(baseline("CNPBaselineTierPodSelector", "standard-pod-selector-rules.yaml")),
		portRangeCase(baseline("CNPBaselineTierPortRange", "standard-port-range-rules-combined.yaml")),
		baselineSamePriority(),
	}
}

// withoutPass drops the subtests about Pass rules, which upstream runs only in the Admin tier: the Baseline
// manifests of the same tests have no Pass rules, and their other subtests and expectations are the Admin ones.
func withoutPass(c Case) Case {
	var steps []Step
	for _, st := range c.Steps {
		if !strings.Contains(st.Subtest, "'pass-") {
			steps = append(steps, st)
		}
	}
	c.Steps = steps
	return c
}

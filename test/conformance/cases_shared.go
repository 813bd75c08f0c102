package conformance

import corev1 "k8s.io/api/core/v1"

// The tests that upstream runs in both tiers with the same subtests and the same expected flows: pod selectors
// (with pod label changes), port ranges, and inline CIDR peers (with a namespace relabel and an inserted rule).
// Only the manifest, and so the tier, differs.

// tierCase names a test and its manifest in one tier.
type tierCase struct{ name, manifest string }

// podSelectorCase: subject by pod labels across all namespaces; Accept to one pod by its StatefulSet pod-name
// label on TCP 80 before a Deny of all ravenclaw pods; ingress Accept from one slytherin pod before a Deny of all
// slytherin pods and of hufflepuff pods labelled conformance-role=blocked; a second policy whose subject is the
// ravenclaw pods labelled conformance-role=restricted. Pod labels change between probes, and the subtest's
// cleanup removes them before the next subtest.
func podSelectorCase(tc tierCase) Case {
	const ingress = "Should support pod selectors in ingress peers"
	const subject = "Should support pod selectors in the subject"
	blocked := map[string]string{roleLabel: "blocked"}
	restricted := map[string]string{roleLabel: "restricted"}
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support pod selectors in egress peers",
				Probes: []Probe{deny(G0, R0, TCP, 8080), allow(G0, R0, TCP, 80), deny(G1, R1, TCP, 80)}},
			{Subtest: ingress,
				Probes: []Probe{deny(S1, G1, TCP, 80), allow(S0, G0, TCP, 80)}},
			{Subtest: ingress, After: "labelling cedric-diggory-0 conformance-role=blocked",
				PodLabels: map[string]map[string]string{H0: blocked},
				Probes:    []Probe{deny(H0, G0, TCP, 80), allow(H1, G0, TCP, 80)}},
			{Subtest: ingress, After: "removing conformance-role from cedric-diggory-0",
				Probes: []Probe{allow(H0, G0, TCP, 80)}},
			{Subtest: ingress, After: "labelling cedric-diggory-1 conformance-role=blocked",
				PodLabels: map[string]map[string]string{H1: blocked},
				Probes:    []Probe{deny(H1, G0, TCP, 80)}},
			{Subtest: subject,
				Probes: []Probe{allow(S0, R1, TCP, 80)}},
			{Subtest: subject, After: "labelling luna-lovegood-0 conformance-role=restricted",
				PodLabels: map[string]map[string]string{R0: restricted},
				Probes:    []Probe{deny(R0, S0, TCP, 80), allow(R1, S0, TCP, 80)}},
			{Subtest: subject, After: "removing conformance-role from luna-lovegood-0",
				Probes: []Probe{allow(R0, S0, TCP, 80)}},
			{Subtest: subject, After: "labelling luna-lovegood-1 conformance-role=restricted",
				PodLabels: map[string]map[string]string{R1: restricted},
				Probes:    []Probe{deny(R1, S0, TCP, 80)}},
		},
	}
}

// portRangeCase: gryffindor accepts TCP 80-8080 with ravenclaw, UDP 53-5353 with hufflepuff, SCTP 9003-9005
// with slytherin, in both directions, and denies every namespace carrying conformance-house otherwise.
func portRangeCase(tc tierCase) Case {
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support egress port range rules across different protocols",
				Probes: []Probe{
					allow(G0, R0, TCP, 80), allow(G0, R0, TCP, 8080), deny(G1, R0, UDP, 53),
					allow(G0, H0, UDP, 53), allow(G0, H0, UDP, 5353), deny(G1, H0, TCP, 80),
					allow(G0, S0, SCTP, 9003), allow(G0, S0, SCTP, 9005), deny(G1, S0, TCP, 80),
				}},
			{Subtest: "Should support ingress port range rules across different protocols",
				Probes: []Probe{
					allow(R0, G0, TCP, 80), allow(R0, G0, TCP, 8080), deny(R1, G0, UDP, 53),
					allow(H0, G0, UDP, 53), allow(H0, G0, UDP, 5353), deny(H1, G0, TCP, 80),
					allow(S0, G0, SCTP, 9003), allow(S0, G0, SCTP, 9005), deny(S1, G0, TCP, 80),
				}},
		},
	}
}

// inlineCIDRCase: gryffindor's egress accepts slytherin pods and denies 0.0.0.0/0 and ::/0. Relabelling the
// slytherin namespace takes its pods out of the Accept; an Accept of two pods' host prefixes inserted first lets
// exactly those two through.
func inlineCIDRCase(tc tierCase, policy string) Case {
	const deny1 = "Should support a 'deny-egress' rule policy for egress-cidr-peer"
	renamed := map[string]map[string]string{nsSlytherin: {houseLabel: "denied-namespace-label"}}
	restored := map[string]map[string]string{nsSlytherin: {houseLabel: "slytherin"}}
	toS0 := func(want func(from, to string, proto corev1.Protocol, port int32) Probe) []Probe {
		return []Probe{want(G1, S0, TCP, 80), want(G1, S0, UDP, 53), want(G1, S0, SCTP, 9003)}
	}
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: deny1,
				Probes: append([]Probe{
					deny(G1, R0, TCP, 80), deny(G1, R0, UDP, 53), deny(G1, R0, SCTP, 9003),
					deny(G1, H0, TCP, 80), deny(G1, H0, UDP, 53), deny(G1, H0, SCTP, 9003),
				}, toS0(allow)...)},
			{Subtest: deny1, After: "relabelling namespace slytherin conformance-house=denied-namespace-label",
				NamespaceLabels: renamed, Probes: toS0(deny)},
			{Subtest: deny1, After: "relabelling namespace slytherin conformance-house=slytherin",
				NamespaceLabels: restored, Probes: toS0(allow)},
			{Subtest: "Should support an 'allow-egress' rule policy for egress-cidr-peer",
				NamespaceLabels: restored,
				Edits:           edits(insertAcceptToPods(policy, "allow-egress-to-specific-podIPs", R0, H0)),
				Probes: []Probe{
					allow(G1, R0, TCP, 80), allow(G1, R0, UDP, 53), allow(G1, R0, SCTP, 9003),
					allow(G1, H0, TCP, 80), allow(G1, H0, UDP, 53), allow(G1, H0, SCTP, 9003),
					deny(G1, R1, TCP, 80), deny(G1, R1, UDP, 53), deny(G1, R1, SCTP, 9003),
					deny(G1, H1, TCP, 80), deny(G1, H1, UDP, 53), deny(G1, H1, SCTP, 9003),
				}},
		},
	}
}

package conformance

import cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

// The tests of both directions and protocols at once (both tiers), the interplay of the tiers with NetworkPolicy,
// priorities, and same-priority policies (both tiers). The other tests whose flows are the same in both tiers
// (pod selectors, port ranges, inline CIDRs) are in cases_shared.go, those of one protocol and one direction in
// cases_proto.go.

// gressCase: both directions and all three protocols in one policy p (Pass subtests: Admin only).
func gressCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapBoth(p, 0, 1), swapBoth(p, 0, 2), swapBoth(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-gress' policy across different protocols",
				Probes: []Probe{
					allow(G0, R0, TCP, 80), allow(G1, R0, UDP, 53), allow(G0, R0, SCTP, 9003),
					allow(R0, G0, TCP, 80), allow(R1, G0, UDP, 53), allow(R1, G0, SCTP, 9003),
				}},
			{Subtest: "Should support an 'allow-gress' policy across different protocols at the specified ports",
				Probes: []Probe{
					allow(G0, H1, TCP, 8080), deny(G1, H1, TCP, 80),
					allow(G0, H1, UDP, 5353), deny(G1, H1, UDP, 53),
					allow(G0, H1, SCTP, 9003), deny(G1, H1, SCTP, 9005),
					allow(H0, G1, TCP, 80), deny(H1, G1, TCP, 8080),
					allow(H0, G1, UDP, 5353), deny(H1, G1, UDP, 53),
					allow(H0, G1, SCTP, 9003), deny(H1, G1, SCTP, 9005),
				}},
			{Subtest: "Should support an 'deny-gress' policy across different protocols",
				Edits: s01,
				Probes: []Probe{
					deny(G0, R1, TCP, 80), deny(G1, R1, UDP, 53), deny(G0, R1, SCTP, 9003),
					deny(R0, G1, TCP, 80), deny(R1, G1, UDP, 53), deny(R1, G1, SCTP, 9003),
				}},
			{Subtest: "Should support a 'deny-gress' policy across different protocols at the specified ports",
				Edits: s01,
				Probes: []Probe{
					deny(G0, S0, TCP, 80), allow(G1, S0, TCP, 8080),
					deny(G0, S0, UDP, 53), allow(G1, S0, UDP, 5353),
					deny(G0, S0, SCTP, 9003), allow(G1, S0, SCTP, 9005),
					deny(S0, G0, TCP, 80), allow(S1, G0, TCP, 8080),
					deny(S0, G0, UDP, 53), allow(S1, G0, UDP, 5353),
					deny(S0, G0, SCTP, 9003), allow(S1, G0, SCTP, 9005),
				}},
			{Subtest: "Should support an 'pass-gress' policy across different protocols",
				Edits: concat(s01, s02),
				Probes: []Probe{
					allow(G0, R0, TCP, 80), allow(G0, R0, UDP, 5353), allow(G0, R0, SCTP, 9003),
					allow(R0, G0, TCP, 80), allow(R1, G0, UDP, 53), allow(R1, G0, SCTP, 9003),
				}},
			{Subtest: "Should support a 'pass-gress' policy across different protocols at the specified ports",
				Edits: concat(s01, s02, s34),
				Probes: []Probe{
					allow(G0, S0, TCP, 80), allow(G1, S0, TCP, 8080),
					allow(G0, S0, UDP, 53), allow(G1, S0, UDP, 5353),
					allow(G0, S0, SCTP, 9003), allow(G1, S0, SCTP, 9005),
					allow(S0, G0, TCP, 80), allow(S1, G0, TCP, 8080),
					allow(S0, G0, UDP, 53), allow(S1, G0, UDP, 5353),
					allow(S0, G0, SCTP, 9003), allow(S1, G0, SCTP, 9005),
				}},
		},
	}
}

// adminIntegration: an Admin CNP denying slytherin both ways, a NetworkPolicy in gryffindor allowing exactly
// slytherin both ways, a Baseline CNP denying slytherin both ways. Admin Deny wins; turned into Pass, the
// NetworkPolicy decides; with the NetworkPolicy deleted, Baseline does.
func adminIntegration() Case {
	passIn := ingressAction("pass-example", 0, cnp.ClusterNetworkPolicyRuleActionPass)
	passOut := egressAction("pass-example", 0, cnp.ClusterNetworkPolicyRuleActionPass)
	delNP := deleteNetworkPolicy(nsGryffindor, "allow-gress-from-to-slytherin-to-gryffindor")
	return Case{
		Name:     "CNPAdminTierIntegration",
		Manifest: "base/api_integration/standard-anp-np-banp.yaml",
		Steps: []Step{
			{Subtest: "Should Deny traffic from slytherin to gryffindor respecting admin CNP",
				Probes: []Probe{deny(S0, G0, TCP, 80), deny(S1, G0, TCP, 8080)}},
			{Subtest: "Should Deny traffic to slytherin from gryffindor respecting admin CNP",
				Probes: []Probe{deny(G0, S0, TCP, 80), deny(G1, S0, TCP, 8080)}},
			{Subtest: "Should support a 'pass-ingress' policy for admin CNP and respect the match for network policy",
				Edits:  edits(passIn),
				Probes: []Probe{allow(S0, G0, TCP, 80), allow(S1, G0, TCP, 8080)}},
			{Subtest: "Should support a 'pass-egress' policy for admin CNP and respect the match for network policy",
				Edits:  edits(passIn, passOut),
				Probes: []Probe{allow(G0, S0, TCP, 80), allow(G1, S0, TCP, 8080)}},
			{Subtest: "Should support a 'pass-ingress' policy for admin CNP and respect the match for baseline cluster network policy",
				Edits:  edits(passIn, passOut, delNP),
				Probes: []Probe{deny(S0, G0, TCP, 80), deny(S1, G0, TCP, 8080)}},
			{Subtest: "Should support a 'pass-egress' policy for admin CNP and respect the match for baseline cluster network policy",
				Edits:  edits(passIn, passOut, delNP),
				Probes: []Probe{deny(G0, S0, TCP, 80), deny(G1, S0, TCP, 8080)}},
		},
	}
}

// adminPriorityField: Deny at priority 50, Pass at 60 (then 40), Baseline Accept; same shape both ways between
// gryffindor and slytherin pods.
func adminPriorityField() Case {
	return Case{
		Name:     "CNPAdminTierPriorityField",
		Manifest: "base/admin_tier/standard-priority-field.yaml",
		Steps: []Step{
			{Subtest: "Should Deny traffic from slytherin to gryffindor respecting admin CNP",
				Probes: []Probe{deny(S0, G0, TCP, 80), deny(S1, G0, TCP, 8080)}},
			{Subtest: "Should Deny traffic to slytherin from gryffindor respecting admin CNP",
				Probes: []Probe{deny(G0, S0, TCP, 80), deny(G1, S0, TCP, 8080)}},
			{Subtest: "Should respect admin CNP priority field; thus passing both ingress and egress traffic over to baseline CNP",
				Edits: edits(priority("old-priority-60-new-priority-40-example", 40)),
				Probes: []Probe{
					allow(S0, G0, TCP, 80), allow(S1, G0, TCP, 8080),
					allow(G0, S0, TCP, 80), allow(G1, S0, TCP, 8080),
				}},
		},
	}
}

// adminSamePriority: three Admin CNPs at priority 15 with non-overlapping rules; each applies to its own subject.
func adminSamePriority() Case {
	return Case{
		Name:     "CNPAdminTierSamePriority",
		Manifest: "base/admin_tier/standard-same-priority.yaml",
		Steps: []Step{
			{Subtest: "Should deny traffic in both directions for each same-priority policy",
				Probes: []Probe{
					deny(S0, G0, TCP, 80), deny(G0, S0, TCP, 80),
					deny(H0, G0, TCP, 80), deny(G1, H0, TCP, 80),
					deny(S1, H0, TCP, 8080), deny(H1, S0, TCP, 8080),
				}},
			{Subtest: "Should not apply one same-priority policy's rules to another policy's subject",
				Probes: []Probe{
					allow(S0, G0, TCP, 8080), allow(G0, S0, TCP, 8080),
					allow(S1, H0, TCP, 80), allow(H0, S0, TCP, 80),
				}},
			{Subtest: "Should not affect traffic matching no same-priority policy",
				Probes: []Probe{allow(R0, G0, TCP, 80), allow(G1, R0, TCP, 80)}},
		},
	}
}

// baselineSamePriority: three Baseline CNPs at priority 10, the rules of the Admin test, other servers.
func baselineSamePriority() Case {
	return Case{
		Name:     "CNPBaselineTierSamePriority",
		Manifest: "base/baseline_tier/standard-same-priority.yaml",
		Steps: []Step{
			{Subtest: "Should deny traffic in both directions for each same-priority policy",
				Probes: []Probe{
					deny(S0, G1, TCP, 80), deny(G0, S1, TCP, 80),
					deny(H0, G1, TCP, 80), deny(G1, H1, TCP, 80),
					deny(S1, H1, TCP, 8080), deny(H1, S1, TCP, 8080),
				}},
			{Subtest: "Should not apply one same-priority policy's rules to another policy's subject",
				Probes: []Probe{
					allow(S0, G1, TCP, 8080), allow(G0, S1, TCP, 8080),
					allow(S1, H1, TCP, 80), allow(H0, S1, TCP, 80),
				}},
			{Subtest: "Should not affect traffic matching no same-priority policy",
				Probes: []Probe{allow(R0, G1, TCP, 80), allow(G0, R1, TCP, 80)}},
		},
	}
}

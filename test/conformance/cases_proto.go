package conformance

// The tests of one protocol and one direction (conformance/tests/{admin,baseline-admin}-network-policy-standard-
// {egress,ingress}-{tcp,udp,sctp}-rules.go), policy p of the manifest. The Admin manifests hold seven rules:
// 0 Accept, 1 Deny, 2 Pass towards one house (everything), 3 Deny and 4 Pass towards a second house on one port,
// 5 Accept towards a third house on one port, 6 Deny the third house; the subtests swap 0↔1, then 0↔2, then 3↔4,
// cumulatively. The Baseline manifests hold the same rules without the two Pass ones, and upstream's Baseline
// tests are the same subtests with the same expectations, without the Pass subtests (withoutPass).

func egressTCPCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapEgress(p, 0, 1), swapEgress(p, 0, 2), swapEgress(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' policy for TCP protocol; ensure rule ordering is respected",
				Probes: []Probe{allow(G0, R0, TCP, 80), allow(G1, R0, TCP, 8080)}},
			{Subtest: "Should support an 'allow-egress' policy for TCP protocol at the specified port",
				Probes: []Probe{allow(G0, H1, TCP, 8080), deny(G1, H1, TCP, 80)}},
			{Subtest: "Should not affect ingress traffic when only egress rules are specified",
				Probes: []Probe{allow(R0, G0, TCP, 80), allow(S0, G1, TCP, 80)}},
			{Subtest: "Should support an 'deny-egress' policy for TCP protocol; ensure rule ordering is respected",
				Edits:  edits(s01),
				Probes: []Probe{deny(G0, R1, TCP, 80), deny(G1, R1, TCP, 8080)}},
			{Subtest: "Should support a 'deny-egress' policy for TCP protocol at the specified port",
				Edits:  edits(s01),
				Probes: []Probe{deny(G0, S0, TCP, 80), allow(G1, S0, TCP, 8080)}},
			{Subtest: "Should support an 'pass-egress' policy for TCP protocol; ensure rule ordering is respected",
				Edits:  edits(s01, s02),
				Probes: []Probe{allow(G0, R0, TCP, 80), allow(G1, R0, TCP, 8080)}},
			{Subtest: "Should support a 'pass-egress' policy for TCP protocol at the specified port",
				Edits:  edits(s01, s02, s34),
				Probes: []Probe{allow(G0, S0, TCP, 80), allow(G1, S0, TCP, 8080)}},
		},
	}
}

func egressUDPCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapEgress(p, 0, 1), swapEgress(p, 0, 2), swapEgress(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' policy for UDP protocol; ensure rule ordering is respected",
				Probes: []Probe{allow(H0, R0, UDP, 53), allow(H1, R0, UDP, 5353)}},
			{Subtest: "Should support an 'allow-egress' policy for UDP protocol at the specified port",
				Probes: []Probe{allow(H0, G1, UDP, 53), deny(H1, G1, UDP, 5353)}},
			{Subtest: "Should support an 'deny-egress' policy for UDP protocol; ensure rule ordering is respected",
				Edits:  edits(s01),
				Probes: []Probe{deny(H0, R1, UDP, 53), deny(H1, R1, UDP, 5353)}},
			{Subtest: "Should support a 'deny-egress' policy for UDP protocol at the specified port",
				Edits:  edits(s01),
				Probes: []Probe{deny(H0, S0, UDP, 5353), allow(H1, S0, UDP, 53)}},
			{Subtest: "Should support an 'pass-egress' policy for UDP protocol; ensure rule ordering is respected",
				Edits:  edits(s01, s02),
				Probes: []Probe{allow(H0, R1, UDP, 5353), allow(H1, R1, UDP, 53)}},
			{Subtest: "Should support a 'pass-egress' policy for UDP protocol at the specified port",
				Edits:  edits(s01, s02, s34),
				Probes: []Probe{allow(H0, S0, UDP, 5353), allow(H1, S0, UDP, 53)}},
		},
	}
}

func egressSCTPCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapEgress(p, 0, 1), swapEgress(p, 0, 2), swapEgress(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' policy for SCTP protocol; ensure rule ordering is respected",
				Probes: []Probe{allow(R0, G0, SCTP, 9003), allow(R1, G0, SCTP, 9005)}},
			{Subtest: "Should support an 'allow-egress' policy for SCTP protocol at the specified port",
				Probes: []Probe{allow(R0, H1, SCTP, 9003), deny(R1, H1, SCTP, 9005)}},
			{Subtest: "Should support an 'deny-egress' policy for SCTP protocol; ensure rule ordering is respected",
				Edits:  edits(s01),
				Probes: []Probe{deny(R0, G1, SCTP, 9003), deny(R1, G1, SCTP, 9005)}},
			{Subtest: "Should support a 'deny-egress' policy for SCTP protocol at the specified port",
				Edits:  edits(s01),
				Probes: []Probe{deny(R0, S0, SCTP, 9003), allow(R1, S0, SCTP, 9005)}},
			{Subtest: "Should support an 'pass-egress' policy for SCTP protocol; ensure rule ordering is respected",
				Edits:  edits(s01, s02),
				Probes: []Probe{allow(R0, G1, SCTP, 9003), allow(R1, G1, SCTP, 9005)}},
			{Subtest: "Should support a 'pass-egress' policy for SCTP protocol at the specified port",
				Edits:  edits(s01, s02, s34),
				Probes: []Probe{allow(R0, S0, SCTP, 9003), allow(R1, S0, SCTP, 9005)}},
		},
	}
}

func ingressTCPCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapIngress(p, 0, 1), swapIngress(p, 0, 2), swapIngress(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-ingress' policy for TCP protocol; ensure rule ordering is respected",
				Probes: []Probe{allow(R0, G0, TCP, 80), allow(R1, G0, TCP, 8080)}},
			{Subtest: "Should support an 'allow-ingress' policy for TCP protocol at the specified port",
				Probes: []Probe{allow(H0, G1, TCP, 80), deny(H1, G1, TCP, 8080)}},
			{Subtest: "Should not affect egress traffic when only ingress rules are specified",
				Probes: []Probe{allow(G0, R0, TCP, 80), allow(G1, S0, TCP, 80)}},
			{Subtest: "Should support an 'deny-ingress' policy for TCP protocol; ensure rule ordering is respected",
				Edits:  edits(s01),
				Probes: []Probe{deny(R0, G1, TCP, 80), deny(R1, G1, TCP, 8080)}},
			{Subtest: "Should support a 'deny-ingress' policy for TCP protocol at the specified port",
				Edits:  edits(s01),
				Probes: []Probe{deny(S0, G0, TCP, 80), allow(S1, G0, TCP, 8080)}},
			{Subtest: "Should support an 'pass-ingress' policy for TCP protocol; ensure rule ordering is respected",
				Edits:  edits(s01, s02),
				Probes: []Probe{allow(R0, G0, TCP, 80), allow(R1, G0, TCP, 8080)}},
			{Subtest: "Should support a 'pass-ingress' policy for TCP protocol at the specified port",
				Edits:  edits(s01, s02, s34),
				Probes: []Probe{allow(S0, G0, TCP, 80), allow(S1, G0, TCP, 8080)}},
		},
	}
}

func ingressUDPCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapIngress(p, 0, 1), swapIngress(p, 0, 2), swapIngress(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-ingress' policy for UDP protocol; ensure rule ordering is respected",
				Probes: []Probe{allow(R0, H0, UDP, 53), allow(R1, H0, UDP, 5353)}},
			{Subtest: "Should support an 'allow-ingress' policy for UDP protocol at the specified port",
				Probes: []Probe{allow(G0, H1, UDP, 53), deny(G1, H1, UDP, 5353)}},
			{Subtest: "Should support an 'deny-ingress' policy for UDP protocol; ensure rule ordering is respected",
				Edits:  edits(s01),
				Probes: []Probe{deny(R0, H1, UDP, 53), deny(R1, H1, UDP, 5353)}},
			{Subtest: "Should support a 'deny-ingress' policy for UDP protocol at the specified port",
				Edits:  edits(s01),
				Probes: []Probe{deny(S0, H0, UDP, 5353), allow(S1, H0, UDP, 53)}},
			{Subtest: "Should support an 'pass-ingress' policy for UDP protocol; ensure rule ordering is respected",
				Edits:  edits(s01, s02),
				Probes: []Probe{allow(R0, H1, UDP, 5353), allow(R1, H1, UDP, 53)}},
			{Subtest: "Should support a 'pass-ingress' policy for UDP protocol at the specified port",
				Edits:  edits(s01, s02, s34),
				Probes: []Probe{allow(S0, H0, UDP, 5353), allow(S1, H0, UDP, 53)}},
		},
	}
}

func ingressSCTPCase(tc tierCase, p string) Case {
	s01, s02, s34 := swapIngress(p, 0, 1), swapIngress(p, 0, 2), swapIngress(p, 3, 4)
	return Case{
		Name:     tc.name,
		Manifest: tc.manifest,
		Steps: []Step{
			{Subtest: "Should support an 'allow-ingress' policy for SCTP protocol; ensure rule ordering is respected",
				Probes: []Probe{allow(G0, R0, SCTP, 9003), allow(G1, R0, SCTP, 9005)}},
			{Subtest: "Should support an 'allow-ingress' policy for SCTP protocol at the specified port",
				Probes: []Probe{allow(H0, R1, SCTP, 9003), deny(H1, R1, SCTP, 9005)}},
			{Subtest: "Should support an 'deny-ingress' policy for SCTP protocol; ensure rule ordering is respected",
				Edits:  edits(s01),
				Probes: []Probe{deny(G0, R1, SCTP, 9003), deny(G1, R1, SCTP, 9005)}},
			{Subtest: "Should support a 'deny-ingress' policy for SCTP protocol at the specified port",
				Edits:  edits(s01),
				Probes: []Probe{deny(S0, R0, SCTP, 9003), allow(S1, R0, SCTP, 9005)}},
			{Subtest: "Should support an 'pass-ingress' policy for SCTP protocol; ensure rule ordering is respected",
				Edits:  edits(s01, s02),
				Probes: []Probe{allow(G0, R1, SCTP, 9003), allow(G1, R1, SCTP, 9005)}},
			{Subtest: "Should support a 'pass-ingress' policy for SCTP protocol at the specified port",
				Edits:  edits(s01, s02, s34),
				Probes: []Probe{allow(S0, R0, SCTP, 9003), allow(S1, R0, SCTP, 9005)}},
		},
	}
}

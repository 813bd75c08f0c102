package conformance

// The experimental tests: named ports (feature ClusterNetworkPolicyNamedPorts) and node peers
// (ClusterNetworkPolicyEgressNodePeers), both tiers.
//
// Node peers: the servers are the centaurs, host-network pods whose address is their node's, served by listeners
// in the node's own network namespace. Upstream always probes centaur-1. Here a probe goes to the centaur on the
// other node than the client's (nodePeerTarget): centaur-1 from a pod on node-a, centaur-0 from a pod on node-b.
// Both nodes carry kubernetes.io/os=linux and the centaurs serve the same ports, so the expectation is the same;
// but traffic from a pod to its own node enters the node's input hook, which nftpolicy does not filter (a
// documented limitation: it has no input chain), so a same-node Deny probe would pass.

// adminEgressNamedPort: egress-tcp with rule 5 (Accept hufflepuff on TCP 8080) on the named port web (TCP 80).
func adminEgressNamedPort() Case {
	return Case{
		Name:     "CNPAdminTierEgressNamedPort",
		Manifest: "base/admin_tier/standard-egress-tcp-rules.yaml",
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' policy for named port",
				Edits:  edits(egressNamedPort("egress-tcp", 5, "web")),
				Probes: []Probe{allow(G0, H1, TCP, 80), deny(G1, H1, TCP, 8080)}},
		},
	}
}

// adminIngressNamedPort: ingress-udp with rule 5 (Accept gryffindor on UDP 53) on the named port dns (UDP 53).
func adminIngressNamedPort() Case {
	return Case{
		Name:     "CNPAdminTierIngressNamedPort",
		Manifest: "base/admin_tier/standard-ingress-udp-rules.yaml",
		Steps: []Step{
			{Subtest: "Should support an 'allow-ingress' policy for named port",
				Edits:  edits(ingressNamedPort("ingress-udp", 5, "dns")),
				Probes: []Probe{allow(G0, H1, UDP, 53), deny(G1, H1, UDP, 5353)}},
		},
	}
}

// baselineEgressNamedPort: the Baseline egress-udp policy with rule 3 (Accept gryffindor on UDP 53) on dns.
func baselineEgressNamedPort() Case {
	return Case{
		Name:     "CNPBaselineTierEgressNamedPort",
		Manifest: "base/baseline_tier/standard-egress-udp-rules.yaml",
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' policy for named port",
				Edits:  edits(egressNamedPort("default", 3, "dns")),
				Probes: []Probe{allow(H0, G1, UDP, 53), deny(H1, G1, UDP, 5353)}},
		},
	}
}

// baselineIngressNamedPort: the Baseline ingress-tcp policy with rule 3 (Accept hufflepuff on TCP 80) on web.
func baselineIngressNamedPort() Case {
	return Case{
		Name:     "CNPBaselineTierIngressNamedPort",
		Manifest: "base/baseline_tier/standard-ingress-tcp-rules.yaml",
		Steps: []Step{
			{Subtest: "Should support an 'allow-ingress' policy for named port",
				Edits:  edits(ingressNamedPort("default", 3, "web")),
				Probes: []Probe{allow(H0, G1, TCP, 80), deny(H1, G1, TCP, 8080)}},
		},
	}
}

// adminEgressNodePeers: gryffindor pods accept nodes on TCP HNP0, pass nodes on UDP HNP2, and deny slytherin pods,
// nodes and every address. Upstream's client is harry-potter-1, on node-b here: it probes centaur-0 (node-a).
func adminEgressNodePeers() Case {
	return Case{
		Name:     "CNPAdminTierEgressNodePeers",
		Manifest: "base/admin_tier/experimental-egress-selector-rules.yaml",
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' rule policy for egress-node-peer",
				Probes: []Probe{allow(G1, F0, TCP, HNP(0))}},
			{Subtest: "Should support a 'pass-egress' rule policy for egress-node-peer",
				Probes: []Probe{allow(G1, F0, UDP, HNP(2))}},
			{Subtest: "Should support a 'deny-egress' rule policy for egress-node-peer",
				Probes: []Probe{deny(G1, F0, TCP, HNP(1)), deny(G1, F0, UDP, HNP(4)), deny(G1, F0, SCTP, HNP(6))}},
		},
	}
}

// baselineEgressNodePeers: gryffindor accepts nodes on TCP HNP0-HNP1 and denies nodes and every address.
// harry-potter-0 (node-a) probes centaur-1 as upstream; harry-potter-1 (node-b) probes centaur-0.
func baselineEgressNodePeers() Case {
	return Case{
		Name:     "CNPBaselineTierEgressNodePeers",
		Manifest: "base/baseline_tier/experimental-egress-selector-rules.yaml",
		Steps: []Step{
			{Subtest: "Should support an 'allow-egress' rule policy for egress-node-peer",
				Probes: []Probe{allow(G0, F1, TCP, HNP(0)), allow(G1, F0, TCP, HNP(1))}},
			{Subtest: "Should support a 'deny-egress' rule policy for egress-node-peer",
				Probes: []Probe{deny(G1, F0, UDP, HNP(4)), deny(G1, F0, SCTP, HNP(6))}},
		},
	}
}

// nodePeerTarget is the centaur a node-peer probe from pod client goes to: the one on the other node.
func nodePeerTarget(client string) string {
	if nodeOf(client) == nodeOf(F1) {
		return F0
	}
	return F1
}

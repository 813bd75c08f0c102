package e2e

// Upstream specs about ipBlock peers.

// upstreamIPBlockCases returns upstream specs 34–36: egress ipBlock peers: a
// host CIDR, a CIDR with an except, and a policy replaced from one to the
// other.
func upstreamIPBlockCases() []Case {
	var l upstreamList

	l.add("should allow egress access to server in CIDR block",
		Step{
			Name: "x/a egress to y/b's host CIDR only",
			Policies: func(e Env) []*np {
				return []*np{newPolicy("x", "allow-client-a-via-cidr-egress-rule", podSel("a"),
					withEgress(egressRule(peers(ipBlockPeer(hostCIDR(e, "y", "b"))))))}
			},
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectAllEgress(xa, false).
				Expect(xa, yb, true))},
		})

	// Upstream allows the /4 around x/b's IP and expects every other pod to
	// stay reachable from x/a, i.e. it assumes all pod IPs share that /4.
	l.add("should enforce except clause while egress access to server in CIDR block",
		Step{
			Name:     "x/a egress to x/b's /4 except x/b",
			Policies: cidrExceptXB,
			Probes:   []ProbeExpect{tcpProbe(80, allowAll().Expect(xa, xb, false))},
		})

	l.add("should ensure an IP overlapping both IPBlock.CIDR and IPBlock.Except is allowed",
		Step{
			Name:     "x/a egress to x/b's /4 except x/b",
			Policies: cidrExceptXB,
			Probes:   []ProbeExpect{tcpProbe(80, allowAll().Expect(xa, xb, false))},
		},
		Step{
			// Upstream "updates" the policy under the same name, so this
			// replaces the except-policy rather than adding to it.
			Name: "policy replaced by egress to x/b's host CIDR",
			Policies: func(e Env) []*np {
				return []*np{newPolicy("x", "allow-client-a-via-cidr-egress-rule", podSel("a"),
					withEgress(egressRule(peers(ipBlockPeer(hostCIDR(e, "x", "b"))))))}
			},
			Probes: []ProbeExpect{tcpProbe(80, allowAll().
				ExpectAllEgress(xa, false).
				Expect(xa, xb, true))},
		})

	return l
}

// cidrExceptXB lets x/a send to the /4 around x/b's IP, except x/b itself.
func cidrExceptXB(e Env) []*np {
	return []*np{newPolicy("x", "allow-client-a-via-cidr-egress-rule", podSel("a"),
		withEgress(egressRule(peers(ipBlockPeer(enclosingCIDR(e, "x", "b", 4), hostCIDR(e, "x", "b"))))))}
}

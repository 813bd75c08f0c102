package fuzz

// Indices into the pools of names_test.go, addr_test.go and ports_test.go that the seeds use.
const (
	nsA, nsB, nsC, nameWeb, nameDB, nameDefault  = 0, 1, 2, 3, 4, 5
	http, dns, metrics, name15                   = 0, 1, 2, 3
	p80, p443, p53, p8080, p9090, p1, p65535     = 0, 1, 2, 3, 4, 5, 6
	tenSlash16, tenSlash24, all4, all6, fd64     = 0, 1, 2, 3, 4
	hostBits24, tenSlash25, v6Top128, v6Slash120 = 5, 7, 12, 15
)

// shop is a small dual-stack cluster: namespaces a (team=a) and b (team=b), web and db in a on n1, a client in b
// on n2; web serves http on 8080/TCP and metrics on 9090 in a sidecar, db dns on 53/UDP.
func shop() []byte {
	return cat(
		namespace(short(nsA), labels(kTeam, vA)),
		namespace(short(nsB), labels(kTeam, vB)),
		pod(short(nsA), short(nameWeb), onN1, running, podNet, dualStack(0, 10), labels(kApp, vWeb)),
		containerPort(http, number(p8080), protoTCP, inContainer, true),
		containerPort(metrics, number(p9090), protoEmpty, inSidecar, true),
		pod(short(nsA), short(nameDB), onN1, running, podNet, ipv4(0, 11), labels(kApp, vB, kTier, vC)),
		containerPort(dns, number(p53), protoUDP, inContainer, true),
		pod(short(nsB), short(nsC), onN2, running, podNet, dualStack(1, 20), labels(kApp, vA)),
	)
}

// seeds are the inputs FuzzBuildCompile starts from; with `go test` they are its test cases.
func seeds() [][]byte {
	return append([][]byte{
		input(allNodes),
		// Default deny of every pod of a namespace.
		input(allNodes, shop(), policy(short(nsA), short(nameDefault), sel(nil), typesAbsent)),
		// Ingress from pods of the namespace and from namespace b, numeric and named ports.
		input(nodeN1, shop(),
			policy(short(nsA), short(nameWeb), sel([]int{kApp, vWeb}), typesIngress),
			ingressRule(), podPeer(sel([]int{kApp, vB})), nsPeer(sel([]int{kTeam, vB})),
			port(protoTCP, number(p80)), namedPort(protoTCP, http),
			ingressRule(), nsPodPeer(sel(nil), sel([]int{kApp, vA})), namedPort(protoEmpty, metrics)),
		// Egress: named ports resolved on peers, ranges with endPort, SCTP, a protocol alone, DNS anywhere.
		input(nodeN1, shop(),
			policy(short(nsA), short(nameDB), sel(nil), typesBoth),
			egressRule(), podPeer(sel([]int{kTier, vC})), namedPort(protoUDP, dns), portRange(protoTCP, number(p8080), 1000),
			port(sctp, exactNumber(2905)), protoOnly(protoUDP),
			egressRule(), port(protoUDP, number(p53)), portRange(protoTCP, number(p1), 65534),
			ingressRule()),
		// ipBlocks with excepts: pool CIDRs, host bits set, IPv6, everything but a hole, generated ones.
		input(allNodes, shop(),
			policy(short(nsA), short(nameWeb), sel(nil), typesBoth),
			ingressRule(),
			blockPeer(block(tenSlash16, except("10.0.0.0/16", 8, 0), except("10.0.0.0/16", 16, 10))),
			blockPeer(block(hostBits24, except("10.0.0.1/24", 1, 0x80))),
			blockPeer(block(fd64, except("fd00::/64", 64, 10))),
			blockPeer(block(all4, except("0.0.0.0/0", 8, 10))),
			port(protoTCP, number(p80)),
			egressRule(),
			blockPeer(block(all6, except("::/0", 16, 0xfd))),
			blockPeer(block(v6Top128)),
			blockPeer(block4(0, 1, 200, 23, except("10.0.1.200/23", 2, 3))),
			blockPeer(block(v6Slash120)),
			portRange(protoUDP, number(p1), 100)),
		// matchExpressions on pods and namespaces.
		input(allNodes, shop(),
			policy(short(nsA), short(nameDefault), sel(nil, req(kApp, opIn, vWeb, vB), req(kTier, opDoesNotExist)), typesIngress),
			ingressRule(),
			podPeer(sel(nil, req(kApp, opNotIn, vWeb), req(kTier, opExists))),
			nsPeer(sel(nil, req(kNSName, opIn, vA, vB, vC))),
			nsPodPeer(sel(nil, req(kTeam, opNotIn, vA)), sel([]int{kApp, vA}, req(kRole, opDoesNotExist)))),
		// Names at the length limits, long label keys and values, huge label sets, and more policies on one pod
		// than fit in a comment.
		longNames(),
		// Pods that take no part: finished, pending without address, hostNetwork; odd addresses.
		input(allNodes,
			pod(short(nsA), short(nsA), onN1, succeeded, podNet, ipv4(0, 1), labels(kApp, vA)),
			pod(short(nsA), short(nsB), onN1, failed, podNet, dualStack(0, 2), labels(kApp, vA)),
			pod(short(nsA), short(nsC), onN1, pending, podNet, noIP(), labels(kApp, vA)),
			pod(short(nsA), short(nameWeb), onN1, running, hostNet, ipv4(0, 3), labels(kApp, vA)),
			pod(short(nsA), short(nameDB), onN1, pending, podNet, legacyIP(0, 4), labels(kApp, vA)),
			pod(short(nsB), short(nsA), onN2, running, podNet, oddIP(0), labels(kApp, vA)),
			pod(short(nsB), short(nsB), onN2, running, podNet, oddIP(4), labels(kApp, vA)),
			pod(short(nsB), short(nsC), onN1, running, podNet, oddIP(5), labels(kApp, vA)),
			pod(short(nsB), short(nameWeb), onN1, running, podNet, oddIP(3), labels(kApp, vA)),
			pod(short(nsB), short(nameDB), unscheduled, running, podNet, oddIP(2), labels(kApp, vA)),
			policy(short(nsA), short(nsA), sel([]int{kApp, vA}), typesBoth),
			ingressRule(), podPeer(sel([]int{kApp, vA})), port(protoTCP, number(p65535)),
			egressRule(), nsPeer(sel(nil)), namedPort(protoTCP, http),
			policy(short(nsB), short(nsA), sel(nil), typesBoth),
			ingressRule(), nsPeer(sel(nil)), egressRule(), blockPeer(block(tenSlash25))),
		// A change: after the mark a policy goes, a pod is relabelled and readdressed, a namespace relabelled, a
		// policy comes — the second sync is an incremental batch.
		input(nodeN1, shop(),
			policy(short(nsA), short(nameWeb), sel([]int{kApp, vWeb}), typesIngress),
			ingressRule(), podPeer(sel([]int{kApp, vA})), namedPort(protoTCP, http),
			policy(short(nsA), short(nameDB), sel([]int{kTier, vC}), typesBoth),
			egressRule(), nsPeer(sel([]int{kTeam, vB})),
			mark(),
			deletePolicy(0), relabelPod(0, labels(kApp, vWeb, kTier, vC), ipv4(2, 30)),
			relabelNamespace(1, labels(kTeam, vA)),
			containerPort(http, number(p80), protoTCP, inContainer, false),
			policy(short(nsB), short(nameDefault), sel(nil), typesEgress),
			egressRule(), podPeer(sel(nil)), port(protoUDP, number(p53)),
			deletePod(2), deleteNamespace(0)),
		// Invalid inputs, each failing with an error that names the object.
		input(invalidOnNode1, shop(), policy(short(nsA), short(nameWeb), sel(nil), typesIngress),
			ingressRule(), blockPeer(cat([]byte{0xf8 /* badCIDRs[0xf8%8]: 10.0.0/8 */, 0}))),
		input(invalidOnNode1, shop(), pod(short(nsA), short(nameWeb), onN1, running, podNet, ipv4(0, 1), labels())),
		input(invalidOnNode1, shop(), pod(short(nsA), short(nsA), onN1, running, podNet, badIP(0), labels())),
		input(invalidOnNode1, shop(), policy(short(nsA), short(nameWeb),
			sel(nil, []byte{kApp, 0xf1 /* NotIn, made In without values */, vA}), typesIngress)),
		input(invalidOnNode1, shop(), policy(short(nsA), short(nameWeb), sel(nil), typesIngress), ingressRule(), badPort(1, 0)),
		input(invalidOnNode1, shop(), policy(short(nsA), short(nameWeb), sel(nil), typesIngress), egressRule(), badPort(5, 0)),
		input(invalidOnNode1, shop(), namespace(short(nsA), labels())),
		input(invalidOnNode1, shop(), namespace(short(nameDefault), labels()), namespace(short(nameDefault), labels()),
			namespace(short(nsA), labels())),
		input(invalidOnNode1, policy(short(nsB), short(nsC), sel(nil), typesIngress),
			policy(short(nsB), short(nsC), sel(nil, []byte{kApp, 0xf1, vA}), typesIngress)),
	}, clusterSeeds()...)
}

// longNames: a 63-byte namespace with a huge label set, 253-byte pods and policies, a 317-byte label key, 63-byte
// values, a pod with over a thousand labels, and ten policies with 253-byte names selecting the same pod.
func longNames() []byte {
	parts := [][]byte{
		namespace(atLimit(7), hugeLabels(255, kLong, vLong, kTeam, vLong)),
		pod(atLimit(7), atLimit(8), onN1, running, podNet, dualStack(3, 1), hugeLabels(255, kLong, vLong, kApp, vWeb)),
		containerPort(name15, exactNumber(65535), sctp, inContainer, true),
		pod(atLimit(7), atLimit(9), onN1, running, podNet, dualStack(3, 2), hugeLabels(10)),
		pod(atLimit(9), atLimit(10), onN2, running, podNet, dualStack(3, 3), labels(kLong, vLong)),
	}
	for i := range byte(maxPolicies) {
		parts = append(parts,
			policy(atLimit(7), atLimit(20+i), sel([]int{kLong, vLong}), typesBoth),
			ingressRule(), podPeer(sel(nil, req(kLong, opIn, vLong))), namedPort(sctp, name15),
			egressRule(), nsPodPeer(sel([]int{kTeam, vLong}), sel(nil)), portRange(protoUDP, exactNumber(1000+uint16(i)), 10))
	}
	return input(nodeN1, parts...)
}

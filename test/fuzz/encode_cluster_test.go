package fuzz

// Encoders of the ClusterNetworkPolicy and Node operations (cluster_test.go, clusterports_test.go,
// nodes_test.go), as encode_test.go has for the others.

// Tiers, actions and protocols, as the decoder numbers them.
const (
	tierAdmin, tierBaseline         = 0, 1
	actAccept, actDeny, actPass     = 0, 1, 2
	cTCP, cUDP, cSCTP               = 0, 1, 2
	ruleUnnamed, ruleNamed, rule100 = 0, 1, 3 // ruleNames: "", "allow-dns", 100 bytes
)

// clusterPolicy encodes a ClusterNetworkPolicy named name in tier with priority priorities[prio] (0, 10, 10,
// 20, 100, 1000) and a subject.
func clusterPolicy(name []byte, tier, prio int, subject []byte) []byte {
	return cat([]byte{opClusterPolicy}, name, []byte{byte(tier), byte(prio)}, subject)
}

// Subjects.
func subjectNamespaces(s []byte) []byte { return cat([]byte{0}, s) }
func subjectEveryNamespace() []byte     { return []byte{1} }
func subjectPods(ns, pod []byte) []byte { return cat([]byte{3}, ns, pod) }
func clusterIngress(name, action int, peer []byte) []byte {
	return cat([]byte{opClusterIngress, byte(name), byte(action)}, peer)
}
func clusterEgress(name, action int, peer []byte) []byte {
	return cat([]byte{opClusterEgress, byte(name), byte(action)}, peer)
}
func clusterPeer(peer []byte) []byte { return cat([]byte{opClusterPeer}, peer) }

// Peers, as clusterPeer numbers them (an ingress rule reads 0, 1, 5 and 6 alike).
func cnsPeer(s []byte) []byte        { return cat([]byte{0}, s) }
func cpodPeer(ns, pod []byte) []byte { return cat([]byte{1}, ns, pod) }
func cnodePeer(s []byte) []byte      { return cat([]byte{3}, s) }
func cdomainPeer(i, n int) []byte    { return []byte{4, byte(i), byte(n - 1)} }
func cunknownPeer() []byte           { return []byte{5} }
func ceveryNamespacePeer() []byte    { return []byte{6} }

// cnetPeer encodes a networks peer of cidrs[i] for each i (masked).
func cnetPeer(is ...int) []byte {
	out := []byte{2, byte(len(is) - 1)}
	for _, i := range is {
		out = append(out, byte(4*i))
	}
	return out
}

// Protocols entries.
func cport(proto int, num []byte) []byte {
	return cat([]byte{opClusterProtocol, 0}, num, []byte{byte(proto)})
}

// crange encodes a range from num to num+1+width.
func crange(proto int, num []byte, width uint16) []byte {
	return cat([]byte{opClusterProtocol, 3}, num, []byte{byte(width >> 8), byte(width), 0, byte(proto)})
}
func cnamed(name int) []byte     { return []byte{opClusterProtocol, 5, 0, byte(name), 0} }
func cunknownProto() []byte      { return []byte{opClusterProtocol, 6, 0, 0} }
func callPorts(proto int) []byte { return []byte{opClusterProtocol, 7, 0, byte(proto)} }

// Nodes: nodeNames[i], labels and addresses.
func node(i int, lbls, addrs []byte) []byte { return cat([]byte{opNode, byte(i)}, lbls, addrs) }

// nodeAddrs encodes up to three status.addresses entries.
func nodeAddrs(entries ...[]byte) []byte { return cat([]byte{byte(len(entries))}, cat(entries...)) }

// Address entries: type (nodeAddrTypes) and an IPv4 or IPv6 address 10.0.x.y / fd00::x:y, or a name.
const (
	internalIP, externalIP, hostName = 0, 1, 2
)

func nodeIPv4(typ int, x, y byte) []byte { return []byte{byte(typ), x, y} }
func nodeIPv6(typ int, x, y byte) []byte { return []byte{byte(typ + 4), x, y} }
func nodeName(typ, i int) []byte         { return []byte{byte(typ + 12), byte(i)} }

// Deletions of ClusterNetworkPolicies and nodes, a node's relabelling with new addresses.
func deleteClusterPolicy(i int) []byte { return []byte{opDelete, 3, byte(i)} }
func deleteNode(i int) []byte          { return []byte{opDelete, 4, byte(i)} }
func relabelNode(i int, lbls, addrs []byte) []byte {
	return cat([]byte{opRelabel, 0x12, byte(i)}, lbls, addrs)
}

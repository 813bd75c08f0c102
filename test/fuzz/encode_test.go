package fuzz

import "net/netip"

// Encoders of the input stream decode_test.go reads, so that seeds read as the cluster they build. Each returns
// the bytes of one operation or argument; input joins them after the header byte.

// Header bytes: the node ("" or n1) and whether invalid values may appear.
const (
	allNodes       byte = 0
	nodeN1         byte = 1
	allowInvalid   byte = 0x30
	invalidOnNode1      = allowInvalid | nodeN1
)

func input(header byte, parts ...[]byte) []byte {
	out := []byte{header}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// Names: shortNames[i], or a name at the length limit derived from s.
func short(i int) []byte    { return []byte{byte(i)} }
func atLimit(s byte) []byte { return []byte{0xe0, s} }

// Label pools: indices into labelKeys and values.
const (
	kApp, kTeam, kTier, kRole, kNSName, kPrefixed, kLong = 0, 1, 2, 3, 4, 5, 6
	vA, vB, vC, vEmpty, vWeb, vLong                      = 0, 1, 2, 3, 4, 5
)

// labels encodes up to three key/value index pairs.
func labels(kv ...int) []byte {
	out := []byte{byte(len(kv) / 2)}
	if len(kv) > 6 || len(kv)%2 != 0 {
		panic("labels: up to three key/value pairs")
	}
	for _, x := range kv {
		out = append(out, byte(x))
	}
	return out
}

// hugeLabels encodes up to three key/value index pairs and 64+4n generated labels.
func hugeLabels(n byte, kv ...int) []byte {
	out := labels(kv...)
	out[0] |= 0xf8
	return append(out, n)
}

// sel encodes a selector: matchLabels index pairs and requirements (req).
func sel(kv []int, reqs ...[]byte) []byte {
	out := []byte{byte(len(kv)/2 + 3*len(reqs))}
	for _, x := range kv {
		out = append(out, byte(x))
	}
	return cat(out, cat(reqs...))
}

// Requirement operators, as the decoder numbers them.
const (
	opIn, opNotIn, opExists, opDoesNotExist = 0, 1, 2, 3
)

func req(key, op int, vals ...int) []byte {
	o := op
	if op < 2 {
		o += 4 * (len(vals) - 1)
	}
	out := []byte{byte(key), byte(o)}
	for _, v := range vals {
		out = append(out, byte(v))
	}
	return out
}

// Pod options.
const (
	onN1, onN2, unscheduled              = 0, 1, 2
	running, pending, succeeded, failed  = 0, 2, 3, 4
	hostNet, podNet                      = 0, 1
	protoEmpty, protoTCP, protoUDP, sctp = 0, 1, 2, 3
	inContainer, inSidecar, inInit       = 0, 2, 3
)

func namespace(name, lbls []byte) []byte { return cat([]byte{opNamespace}, name, lbls) }

func pod(ns, name []byte, node, phase, net int, addrs, lbls []byte) []byte {
	return cat([]byte{opPod}, ns, name, []byte{byte(node), byte(phase), byte(net)}, addrs, lbls)
}

// Addresses: x picks 10.0.x.y / fd00::x:y (0-3).
func noIP() []byte                { return []byte{0} }
func legacyIP(x, y byte) []byte   { return []byte{1, x, y} }
func ipv4(x, y byte) []byte       { return []byte{2, x, y} }
func ipv6(x, y byte) []byte       { return []byte{3, x, y} }
func dualStack(x, y byte) []byte  { return []byte{4, x, y, x, y} }
func oddIP(i int) []byte          { return []byte{7, byte(i)} }
func badIP(i int) []byte          { return []byte{0xf2 + byte(i)*8, 0, 1} } // 10.0.0.1 and badAddrs[(0xf2+8i)%6]
func number(i int) []byte         { return []byte{byte(i)} }                // commonPorts[i]
func exactNumber(n uint16) []byte { return []byte{0x80, byte(n >> 8), byte(n)} }

// containerPort: name is an index into portNames, or -1 for an unnamed port.
func containerPort(name int, num []byte, proto, where int, fresh bool) []byte {
	k := byte(0)
	if name >= 0 {
		k = byte(4*name + 1)
	}
	f := byte(1)
	if fresh {
		f = 0
	}
	return cat([]byte{opContainerPort, k}, num, []byte{byte(proto), byte(where), f})
}

// Policy types.
const (
	typesAbsent, typesIngress, typesEgress, typesBoth = 0, 3, 4, 5
)

func policy(ns, name, podSel []byte, types int) []byte {
	return cat([]byte{opPolicy}, ns, name, podSel, []byte{byte(types)})
}

func ingressRule() []byte { return []byte{opIngress} }
func egressRule() []byte  { return []byte{opEgress} }
func mark() []byte        { return []byte{opMark} }

// Deletions and relabellings: index into the current list.
func deleteNamespace(i int) []byte { return []byte{opDelete, 0, byte(i)} }
func deletePod(i int) []byte       { return []byte{opDelete, 1, byte(i)} }
func deletePolicy(i int) []byte    { return []byte{opDelete, 2, byte(i)} }
func relabelNamespace(i int, lbls []byte) []byte {
	return cat([]byte{opRelabel, 0, byte(i)}, lbls)
}
func relabelPod(i int, lbls, addrs []byte) []byte {
	if addrs == nil {
		return cat([]byte{opRelabel, 1, byte(i)}, lbls)
	}
	return cat([]byte{opRelabel, 3, byte(i)}, lbls, addrs)
}

func podPeer(s []byte) []byte         { return cat([]byte{opPeer, 0}, s) }
func nsPeer(s []byte) []byte          { return cat([]byte{opPeer, 2}, s) }
func nsPodPeer(ns, pod []byte) []byte { return cat([]byte{opPeer, 3}, ns, pod) }
func blockPeer(b []byte) []byte       { return cat([]byte{opPeer, 5}, b) }

// block encodes an ipBlock of cidrs[i] with excepts made by except.
func block(i int, excepts ...[]byte) []byte {
	return cat([]byte{byte(4 * i), byte(len(excepts))}, cat(excepts...))
}

// block4 encodes a generated IPv4 CIDR firstOctets[o].0.x.y/bits.
func block4(o int, x, y byte, bits int, excepts ...[]byte) []byte {
	return cat([]byte{1, byte(o), x, y, byte(bits), byte(len(excepts))}, cat(excepts...))
}

// except encodes an except of cidr (as block or block4 makes it) extra bits longer, host bytes filled with fill.
func except(cidr string, extra int, fill byte) []byte {
	p := netip.MustParsePrefix(cidr)
	out := []byte{byte(extra - 1)}
	for i := range p.Addr().BitLen() / 8 {
		if 8*(i+1)-p.Bits() > 0 {
			out = append(out, fill)
		}
	}
	return out
}

// Ports.
func port(proto int, num []byte) []byte { return cat([]byte{opPort, 0, byte(proto)}, num) }
func portRange(proto int, num []byte, width uint16) []byte {
	return cat([]byte{opPort, 2, byte(proto)}, num, []byte{byte(width >> 8), byte(width), 0})
}
func namedPort(proto, name int) []byte {
	return []byte{opPort, 4, byte(proto), 0, byte(name)}
}
func protoOnly(proto int) []byte { return []byte{opPort, 6, byte(proto), 0} }

// badPort encodes an invalid port of kind k (0-6, see ports_test.go; sub picks within kinds 0, 4 and 5) in an
// input that allows them.
func badPort(k, sub byte) []byte {
	out := []byte{opPort, 0xf0, protoTCP, 0, k}
	if k == 0 || k == 4 || k == 5 {
		out = append(out, sub)
	}
	return out
}

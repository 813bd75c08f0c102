package labnet

import "fmt"

// bridgeMAC is br0's address: 0a:58 and the node's IPv4 address.
const bridgeMAC = "0a:58:ac:1f:ff:01"

// gatewayMAC is the address of the node end of every routed veth (routed
// pods, externals): 0a:58 and 169.254.1.1, their IPv4 gateway. The veths
// are links of their own, so they may all have it, as with Calico.
const gatewayMAC = "0a:58:a9:fe:01:01"

// Sysctls of every namespace the lab makes: no DAD (addresses are usable at
// once), no reverse-path filter, and endpoints ignore ICMP redirects (the
// node must keep routing between the subnets of one bridge, not tell pods
// to talk directly) and send no router solicitations (nobody advertises;
// the node would only keep a neighbour entry for every sender).
var commonSysctls = [][2]string{
	{"net.ipv6.conf.all.accept_dad", "0"},
	{"net.ipv6.conf.default.accept_dad", "0"},
	{"net.ipv4.conf.all.rp_filter", "0"},
	{"net.ipv4.conf.default.rp_filter", "0"},
}

var endpointSysctls = append(commonSysctls[:len(commonSysctls):len(commonSysctls)],
	[2]string{"net.ipv4.conf.all.accept_redirects", "0"},
	[2]string{"net.ipv4.conf.default.accept_redirects", "0"},
	[2]string{"net.ipv6.conf.all.accept_redirects", "0"},
	[2]string{"net.ipv6.conf.default.accept_redirects", "0"},
	[2]string{"net.ipv6.conf.default.router_solicitations", "0"},
)

// nodeSysctls: the node forwards both families, sends no redirects, and in
// the bridge topology passes bridged IPv4/IPv6 through the inet hooks
// (br_netfilter).
func nodeSysctls(topo Topology) [][2]string {
	kv := append(commonSysctls[:len(commonSysctls):len(commonSysctls)],
		[2]string{"net.ipv4.ip_forward", "1"},
		[2]string{"net.ipv6.conf.all.forwarding", "1"},
		[2]string{"net.ipv4.conf.all.send_redirects", "0"},
		[2]string{"net.ipv4.conf.default.send_redirects", "0"},
	)
	if topo == Bridge {
		kv = append(kv,
			[2]string{"net.bridge.bridge-nf-call-iptables", "1"},
			[2]string{"net.bridge.bridge-nf-call-ip6tables", "1"},
			// Unicast neighbour solicitations for a proxied address
			// (a pod re-checking its entry for an external) arrive on
			// br0 addressed to it: the node handles them itself only
			// with the "all" switch, otherwise it would forward them.
			[2]string{"net.ipv6.conf.all.proxy_ndp", "1"},
		)
	}
	return kv
}

// bridgeSysctls, written once br0 exists. The pods have permanent
// neighbour entries for every address of their subnets (learn), so these
// are a fallback: br0 answers the pods' ARP requests for the addresses the
// node routes through another interface (externals inside a pod subnet:
// their /32 beats br0's /24; never pods, whose route is br0's own) and
// their neighbour solicitations for the addresses with a proxy entry on
// br0 (IPv6 externals inside a pod subnet), at once rather than after a
// random delay of up to 0.8 s.
var bridgeSysctls = [][2]string{
	{"net.ipv4.conf.br0.proxy_arp", "1"},
	{"net.ipv4.neigh.br0.proxy_delay", "0"},
	{"net.ipv6.conf.br0.proxy_ndp", "1"},
	{"net.ipv6.neigh.br0.proxy_delay", "0"},
}

// nodeLines sets up lo, lab0 with the node's addresses (lab0 is one end of
// a veth pair whose other end, lab0p, also stays in the node: a dummy
// device would do, but not every kernel has the dummy driver) and, in the
// bridge topology, br0.
func nodeLines(topo Topology) []string {
	l := []string{
		"link set lo up",
		"link add lab0 type veth peer name lab0p",
		"link set lab0p up",
		"link set lab0 up",
		fmt.Sprintf("addr add %s/32 dev lab0", nodeIP4),
		fmt.Sprintf("addr add %s/128 dev lab0 nodad", nodeIP6),
	}
	if topo == Bridge {
		// A fixed address, which the pods' permanent neighbour entries
		// for the gateways name: a bridge without one takes the lowest
		// of its ports' and changes it when that port goes.
		l = append(l, fmt.Sprintf("link add br0 address %s type bridge mcast_snooping 0", bridgeMAC), "link set br0 up")
	}
	return l
}

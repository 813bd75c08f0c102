package harness

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// svcTable is the table AddService programs in a node namespace, once per
// family (table ip nftp-svc, table ip6 nftp-svc). It is not nftpolicy's
// table: ResetNode and the nft layer leave it alone.
const svcTable = "nftp-svc"

// AddService makes vip (address and port) a ClusterIP-like Service of one
// backend pod ("namespace/name") on port, inside the namespace of node
// only, the way kube-proxy's nftables mode does it:
//
//   - DNAT vip:port -> backend:port for TCP and UDP, at prerouting (pods)
//     and output (the node itself), priority dstnat (-100);
//   - masquerade at postrouting, priority srcnat, when after DNAT source and
//     destination are both the backend (hairpin: the backend calling its own
//     Service would otherwise get a packet from itself);
//   - a route to vip on the node (for the node's own connections; pods
//     reach vip through their default route to the node already);
//   - in the bridge topology, hairpin mode on the backend's bridge port, as
//     the bridge CNI's hairpinMode sets it, so that the DNATed packet may
//     leave by the port it came in on.
//
// vip's family decides the table (ip or ip6); the backend needs an address
// of that family. ProbeAddr from the backend to vip is the hairpin case.
func (c *Cluster) AddService(nodeName string, vip netip.AddrPort, backend string, port int32) error {
	n, ok := c.nodeBy[nodeName]
	if !ok {
		return fmt.Errorf("add service: unknown node %q", nodeName)
	}
	b, ok := c.podBy[backend]
	if !ok || b.netns == "" {
		return fmt.Errorf("add service: backend %q unknown or without IP", backend)
	}
	if !vip.IsValid() || vip.Port() == 0 || vip.Addr().Zone() != "" || port <= 0 || port > 65535 {
		return fmt.Errorf("add service %s -> %s port %d: bad address or port", vip, backend, port)
	}
	fam, nftFam, dst := 4, "ip", "ip daddr"
	if vip.Addr().Is6() {
		fam, nftFam, dst = 6, "ip6", "ip6 daddr"
	}
	bip, ok := b.ip(fam)
	if !ok {
		return fmt.Errorf("add service %s: backend %s has no IPv%d address", vip, backend, fam)
	}
	target := netip.AddrPortFrom(bip, uint16(port)).String() // 10.244.0.10:80, [fd00:…::10]:80
	var nftText strings.Builder
	fmt.Fprintf(&nftText, `table %[1]s %[2]s {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
	}
	chain output {
		type nat hook output priority -100; policy accept;
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
	}
}
`, nftFam, svcTable)
	for _, chain := range []string{"prerouting", "output"} {
		for _, l4 := range []string{"tcp", "udp"} {
			fmt.Fprintf(&nftText, "add rule %s %s %s %s %s %s dport %d dnat to %s\n",
				nftFam, svcTable, chain, dst, vip.Addr(), l4, vip.Port(), target)
		}
	}
	src := strings.Replace(dst, "daddr", "saddr", 1)
	fmt.Fprintf(&nftText, "add rule %s %s postrouting ct status dnat %s %s %s %s masquerade\n",
		nftFam, svcTable, src, bip, dst, bip)
	if _, err := netns.Exec(n.netns, nftText.String(), "nft", "-f", "-"); err != nil {
		return fmt.Errorf("add service %s -> %s on node %s: %w", vip, target, nodeName, err)
	}

	bits := 32
	if fam == 6 {
		bits = 128
	}
	var route string
	switch {
	case b.node != n:
		gw := b.node.ip4
		if fam == 6 {
			gw = b.node.ip6
		}
		route = fmt.Sprintf("route replace %s/%d via %s dev fab0", vip.Addr(), bits, gw)
	case c.cfg.Topology == Bridge:
		route = fmt.Sprintf("route replace %s/%d dev br0", vip.Addr(), bits)
	default:
		route = fmt.Sprintf("route replace %s/%d dev %s", vip.Addr(), bits, b.hostIf)
	}
	lines := []string{route}
	if c.cfg.Topology == Bridge && b.node == n {
		lines = append(lines, fmt.Sprintf("link set dev %s type bridge_slave hairpin on", b.hostIf))
	}
	if err := netns.Batch(n.netns, lines); err != nil {
		return fmt.Errorf("add service %s -> %s on node %s: %w", vip, target, nodeName, err)
	}
	return nil
}

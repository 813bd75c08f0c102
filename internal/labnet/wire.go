package labnet

import (
	"fmt"
	"net/netip"
)

// The iproute2 lines that wire one endpoint: nodeSide runs in the node
// namespace (it creates the veth, the endpoint's end going straight into
// the endpoint's namespace as eth0), endSide in the endpoint's namespace.

// routedNodeSide: the node end (MAC gatewayMAC) carries the link-local
// gateways and the node routes the endpoint's addresses to it (IPv4 with
// the node's own address as source for traffic the node itself sends).
func routedNodeSide(hostIf, ns, mac string, ips []netip.Addr) []string {
	l := []string{
		vethLine(hostIf, gatewayMAC, ns, mac),
		fmt.Sprintf("link set %s up", hostIf),
		fmt.Sprintf("addr add %s/32 dev %s scope link", routedGW4, hostIf),
		fmt.Sprintf("addr add %s/64 dev %s nodad", routedGW6, hostIf),
	}
	for _, ip := range ips {
		if ip.Is4() {
			l = append(l, fmt.Sprintf("route add %s/32 dev %s src %s", ip, hostIf, nodeIP4))
		} else {
			l = append(l, fmt.Sprintf("route add %s/128 dev %s", ip, hostIf))
		}
	}
	return l
}

// routedEndSide: eth0 has the host addresses and default routes via the
// link-local gateways.
func routedEndSide(ips []netip.Addr) []string {
	l := []string{"link set lo up"}
	for _, ip := range ips {
		l = append(l, addrLine(ip, ip.BitLen()))
	}
	l = append(l, "link set eth0 up")
	for _, ip := range ips {
		if ip.Is4() {
			l = append(l,
				fmt.Sprintf("route add %s/32 dev eth0 scope link", routedGW4),
				fmt.Sprintf("route add 0.0.0.0/0 via %s dev eth0", routedGW4))
		} else {
			l = append(l, fmt.Sprintf("route add ::/0 via %s dev eth0", routedGW6))
		}
	}
	return l
}

// bridgeNodeSide: newGWs are the subnets that get their gateway on br0
// now (their first pod), proxied the IPv6 externals inside them; the node
// end becomes a port of br0.
func bridgeNodeSide(hostIf, ns, mac string, newGWs []netip.Prefix, proxied []netip.Addr) []string {
	var l []string
	for _, s := range newGWs {
		l = append(l, gwLine("add", s))
	}
	for _, a := range proxied {
		l = append(l, proxyLine("add", a))
	}
	return append(l,
		vethLine(hostIf, "", ns, mac),
		fmt.Sprintf("link set %s master br0 up", hostIf),
	)
}

// bridgeEndSide: eth0 has the addresses with their subnets' lengths and
// default routes via the subnets' gateways.
func bridgeEndSide(ips []netip.Addr) []string {
	l := []string{"link set lo up"}
	for _, ip := range ips {
		l = append(l, addrLine(ip, bridgeSubnet(ip).Bits()))
	}
	l = append(l, "link set eth0 up")
	for _, ip := range ips {
		def := "0.0.0.0/0"
		if ip.Is6() {
			def = "::/0"
		}
		l = append(l, fmt.Sprintf("route add %s via %s dev eth0", def, gateway(bridgeSubnet(ip))))
	}
	return l
}

// vethLine creates the veth pair hostIf (node, with the MAC address
// hostMAC unless it is empty) - eth0 (in ns, with the MAC address mac).
func vethLine(hostIf, hostMAC, ns, mac string) string {
	l := "link add " + hostIf
	if hostMAC != "" {
		l += " address " + hostMAC
	}
	return l + fmt.Sprintf(" type veth peer name eth0 address %s netns %s", mac, ns)
}

func addrLine(ip netip.Addr, bits int) string {
	if ip.Is6() {
		return fmt.Sprintf("addr add %s/%d dev eth0 nodad", ip, bits)
	}
	return fmt.Sprintf("addr add %s/%d dev eth0", ip, bits)
}

// gwLine adds or deletes ("add", "del") a subnet's gateway on br0.
func gwLine(op string, s netip.Prefix) string {
	l := fmt.Sprintf("addr %s %s/%d dev br0", op, gateway(s), s.Bits())
	if op == "add" && s.Addr().Is6() {
		l += " nodad"
	}
	return l
}

// proxyLine adds or deletes ("add", "del") br0's proxy entry for the IPv6
// external ip: br0 then answers the pods' neighbour solicitations for it
// (a fallback: the pods have a permanent entry for it).
// Both are idempotent ("add" replaces, "del" flushes), so that a rollback
// need not know how far the batch got.
func proxyLine(op string, ip netip.Addr) string {
	if op == "add" {
		return fmt.Sprintf("neigh replace proxy %s dev br0", ip)
	}
	return fmt.Sprintf("neigh flush proxy to %s dev br0", ip)
}

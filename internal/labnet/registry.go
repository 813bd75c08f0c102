package labnet

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// The bookkeeping of addresses and subnets (under Net.mu) and of the lookup
// tables probes use (under Net.epMu).

// checkFree refuses an address that is malformed or already in use.
func (n *Net) checkFree(ip netip.Addr) error {
	if err := checkAddr(ip); err != nil {
		return err
	}
	if o := n.used[ip]; o != nil {
		return fmt.Errorf("%s is in use by %v", ip, o)
	}
	return nil
}

// checkBridgePodIP refuses a bridge pod address that is its subnet's
// network, gateway or broadcast address, or whose subnet has an external
// host at one of those addresses. An external elsewhere in the subnet is
// fine: br0 answers the pods' ARP and neighbour solicitations for it.
func (n *Net) checkBridgePodIP(ip netip.Addr) error {
	if err := checkBridgeIP(ip); err != nil {
		return err
	}
	s := bridgeSubnet(ip)
	for _, r := range reservedAddrs(s) {
		if o := n.used[r]; o != nil && o.external {
			return fmt.Errorf("%s, the %s of %s (the subnet of %s), is %v", r, bridgeRole(r), s, ip, o)
		}
	}
	return nil
}

// checkExternalIP refuses, in the bridge topology, an external address
// that is the network, gateway or broadcast address of a subnet with pods.
func (n *Net) checkExternalIP(ip netip.Addr) error {
	if n.cfg.Topology != Bridge || n.subnets[bridgeSubnet(ip)] == 0 {
		return nil
	}
	return checkBridgeIP(ip)
}

// proxiedIn lists, sorted, the IPv6 externals inside the bridge subnet s:
// br0 has a proxy entry for each of them while s has pods.
func (n *Net) proxiedIn(s netip.Prefix) []netip.Addr {
	var out []netip.Addr
	if !s.Addr().Is6() {
		return nil
	}
	for a, e := range n.used {
		if e.external && s.Contains(a) {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}

// macTaken tells whether a pod has the MAC address mac.
func (n *Net) macTaken(mac string) bool {
	for _, e := range n.used {
		if e.mac == mac {
			return true
		}
	}
	return false
}

// unlearn flushes, before an endpoint takes the addresses ips, the
// neighbour entries left for them by the endpoint that had them before
// (bridge topology) if that one's MAC differs from mac, the new one's as
// the pods see it (a pod's own, br0's for an external): in the pods of the
// address's subnet and in the node's br0. A pod that took over the address
// of an external, or an external that of a pod, would otherwise stay
// unreachable from those pods until their entries failed, for seconds.
func (n *Net) unlearn(ips []netip.Addr, mac string) error {
	if n.cfg.Topology != Bridge {
		return nil
	}
	podLines := map[*endpoint][]string{}
	var nodeLines []string
	for _, ip := range ips {
		if old, ok := n.former[ip]; !ok || old == mac {
			continue
		}
		s := bridgeSubnet(ip)
		for a, e := range n.used {
			if !e.external && s.Contains(a) {
				podLines[e] = append(podLines[e], fmt.Sprintf("neigh flush to %s dev eth0", ip))
			}
		}
		nodeLines = append(nodeLines, fmt.Sprintf("neigh flush to %s dev br0", ip))
	}
	if len(nodeLines) == 0 {
		return nil
	}
	for e, l := range podLines {
		if err := netns.Batch(e.netns, l); err != nil {
			return fmt.Errorf("forget the previous owner of %v in %v: %w", ips, e, err)
		}
	}
	if err := netns.Batch(n.node, nodeLines); err != nil {
		return fmt.Errorf("forget the previous owner of %v: %w", ips, err)
	}
	return nil
}

// seenMAC is the MAC the pods on br0 see at e's addresses: a pod's own,
// br0's for an external (proxy ARP and NDP).
func seenMAC(e *endpoint) string {
	if e.external {
		return bridgeMAC
	}
	return e.mac
}

// reserve marks e's addresses (and, for bridge pods, subnets) as used.
func (n *Net) reserve(e *endpoint) {
	for _, ip := range e.ips {
		n.used[ip] = e
		delete(n.former, ip)
		if !e.external && n.cfg.Topology == Bridge {
			n.subnets[bridgeSubnet(ip)]++
		}
	}
}

// release undoes reserve and, in the bridge topology, remembers the MAC
// the pods saw at e's addresses (unlearn).
func (n *Net) release(e *endpoint) {
	for _, ip := range e.ips {
		delete(n.used, ip)
		if n.cfg.Topology == Bridge {
			n.former[ip] = seenMAC(e)
		}
		if !e.external && n.cfg.Topology == Bridge {
			s := bridgeSubnet(ip)
			if n.subnets[s]--; n.subnets[s] <= 0 {
				delete(n.subnets, s)
			}
		}
	}
}

// publish makes e visible to probes; unpublish hides it again.
func (n *Net) publish(e *endpoint) {
	n.epMu.Lock()
	defer n.epMu.Unlock()
	n.byKey[e.key] = e
	for _, ip := range e.ips {
		n.byAddr[ip] = e
	}
}

func (n *Net) unpublish(e *endpoint) {
	n.epMu.Lock()
	defer n.epMu.Unlock()
	delete(n.byKey, e.key)
	for _, ip := range e.ips {
		delete(n.byAddr, ip)
	}
}

// gatewayPresent tells whether br0 carries s's gateway.
func (n *Net) gatewayPresent(s netip.Prefix) bool {
	found := false
	netns.InNetns(n.NodeNetnsPath(), func() error {
		ifi, err := net.InterfaceByName("br0")
		if err != nil {
			return nil
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return nil
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Unmap() == gateway(s) {
					found = true
				}
			}
		}
		return nil
	})
	return found
}

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
// fine: the pods reach it through br0 (learn).
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

// macTaken tells whether a pod has the MAC address mac (externals are not
// on br0: their MACs may repeat the pods').
func (n *Net) macTaken(mac string) bool {
	for _, e := range n.used {
		if !e.external && e.mac == mac {
			return true
		}
	}
	return false
}

// reserve marks e's addresses (and, for bridge pods, subnets) as used.
func (n *Net) reserve(e *endpoint) {
	for _, ip := range e.ips {
		n.used[ip] = e
		if !e.external && n.cfg.Topology == Bridge {
			n.subnets[bridgeSubnet(ip)]++
		}
	}
}

// release undoes reserve.
func (n *Net) release(e *endpoint) {
	for _, ip := range e.ips {
		delete(n.used, ip)
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

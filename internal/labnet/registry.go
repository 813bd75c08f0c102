package labnet

import (
	"fmt"
	"net"
	"net/netip"

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
// network, gateway or broadcast address, or whose subnet holds an
// external host.
func (n *Net) checkBridgePodIP(ip netip.Addr) error {
	if err := checkBridgeIP(ip); err != nil {
		return err
	}
	s := bridgeSubnet(ip)
	for a, e := range n.used {
		if e.external && s.Contains(a) {
			return fmt.Errorf("subnet %s of %s holds %v (pods would look for it on br0)", s, ip, e)
		}
	}
	return nil
}

// checkExternalIP refuses an external address inside a bridge pod subnet.
func (n *Net) checkExternalIP(ip netip.Addr) error {
	for s, pods := range n.subnets {
		if pods > 0 && s.Contains(ip) {
			return fmt.Errorf("%s is inside the pod subnet %s of br0 (pods would look for it on the bridge)", ip, s)
		}
	}
	return nil
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

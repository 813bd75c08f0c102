package harness

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// linkLocalWait bounds how long build waits for a pod's eth0 to get its
// fe80:: address (DAD is off, so it appears as soon as the link is up).
const linkLocalWait = 3 * time.Second

// readLinkLocal records the fe80:: address of the pod's eth0. In an
// IPv4-only cluster a missing address is not an error (IPv6 may be off).
func (c *Cluster) readLinkLocal(p *pod) error {
	deadline := time.Now().Add(linkLocalWait)
	for {
		var ll netip.Addr
		err := netns.InNetns(netns.Path(p.netns), func() error {
			ifi, err := net.InterfaceByName("eth0")
			if err != nil {
				return err
			}
			addrs, err := ifi.Addrs()
			if err != nil {
				return err
			}
			for _, a := range addrs {
				ipn, ok := a.(*net.IPNet)
				if !ok {
					continue
				}
				if ip, ok := netip.AddrFromSlice(ipn.IP); ok && ip.Is6() && !ip.Is4In6() && ip.IsLinkLocalUnicast() {
					ll = ip
					return nil
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("pod %s: read eth0 addresses: %w", p.key, err)
		}
		if ll.IsValid() {
			p.ll = ll
			return nil
		}
		if time.Now().After(deadline) {
			if !c.cfg.IPv6 {
				return nil
			}
			return fmt.Errorf("pod %s (netns %s): eth0 has no fe80:: address after %v", p.key, p.netns, linkLocalWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// PodLinkLocal returns the IPv6 link-local (fe80::) address of the pod's
// eth0, read once when the cluster was built. Probe it with ProbeAddr and
// zone "eth0". It is reachable only from the pod's own link: in the bridge
// topology every pod of the node, in the routed topology only the node.
func (c *Cluster) PodLinkLocal(ns, name string) (netip.Addr, bool) {
	p, ok := c.podBy[ns+"/"+name]
	if !ok || !p.ll.IsValid() {
		return netip.Addr{}, false
	}
	return p.ll, true
}

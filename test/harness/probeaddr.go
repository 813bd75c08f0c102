package harness

import (
	"context"
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// ProbeAddr probes an arbitrary address from pod from ("namespace/name"):
// a Service VIP, a link-local address (zone "eth0", the interface of the
// source pod it leaves by), any pod address. TCP connects, UDP needs the
// nonce echoed. SCTP works only where the address belongs to a pod (its IP
// or link-local address), whose raw receiver must see the INIT. It returns
// whether the probe succeeded within the probe timeout.
func (c *Cluster) ProbeAddr(ctx context.Context, from string, dst netip.AddrPort, proto corev1.Protocol, zone string) bool {
	src, ok := c.podBy[from]
	if !ok || src.netns == "" {
		c.t.Logf("harness: probe %s -> %s: source pod unknown or without IP", from, dst)
		return false
	}
	if !dst.Addr().IsValid() || dst.Port() == 0 {
		c.t.Logf("harness: probe %s -> %s: bad destination", from, dst)
		return false
	}
	ap := netip.AddrPortFrom(dst.Addr().WithZone(zone), dst.Port())
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	path := netns.Path(src.netns)
	var err error
	switch proto {
	case corev1.ProtocolTCP, "":
		err = netns.ProbeTCP(ctx, path, ap)
	case corev1.ProtocolUDP:
		err = netns.ProbeUDP(ctx, path, ap)
	case corev1.ProtocolSCTP:
		owner := c.podByAddr(dst.Addr().WithZone(""))
		if owner == nil {
			err = fmt.Errorf("SCTP probes need a pod's address, %s is none", dst.Addr())
			break
		}
		err = probeSCTP(ctx, path, owner, ap)
	default:
		err = fmt.Errorf("unknown protocol %q", proto)
	}
	if err != nil && !netns.Blocked(err) {
		c.t.Logf("harness: probe %s -> %s %s: %v", from, ap, proto, err)
	}
	return err == nil
}

// podByAddr returns the pod owning addr (pod IP or link-local), or nil.
func (c *Cluster) podByAddr(addr netip.Addr) *pod {
	for _, p := range c.podsWithIP() {
		if p.ip4 == addr || p.ip6 == addr || p.ll == addr {
			return p
		}
	}
	return nil
}

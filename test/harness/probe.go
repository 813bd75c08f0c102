package harness

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// maxParallelProbes bounds how many probes Run has in flight.
const maxParallelProbes = 256

// Probe is one connection attempt between two pods ("namespace/name").
type Probe struct {
	From, To string
	Protocol corev1.Protocol // empty means TCP
	Port     int32
	Family   int // 4 or 6
}

func (p Probe) String() string {
	return fmt.Sprintf("%s -> %s %s/%d IPv%d", p.From, p.To, p.Protocol, p.Port, p.Family)
}

// Run performs the probes in parallel; result i tells whether probes[i]
// connected within the probe timeout.
func (c *Cluster) Run(ctx context.Context, probes []Probe) []bool {
	res := make([]bool, len(probes))
	sem := make(chan struct{}, maxParallelProbes)
	var wg sync.WaitGroup
	for i, pr := range probes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res[i] = c.runProbe(ctx, pr)
		}()
	}
	wg.Wait()
	return res
}

func (c *Cluster) runProbe(ctx context.Context, pr Probe) bool {
	src, ok := c.podBy[pr.From]
	if !ok || src.netns == "" {
		c.t.Logf("harness: probe %v: source pod unknown or without IP", pr)
		return false
	}
	if _, ok := src.ip(pr.Family); !ok {
		c.t.Logf("harness: probe %v: source pod has no IPv%d address", pr, pr.Family)
		return false
	}
	return c.probe(ctx, src.netns, pr.To, pr.Protocol, pr.Port, pr.Family)
}

// ProbeFromNode probes pod to ("namespace/name") from the node's own
// namespace.
func (c *Cluster) ProbeFromNode(ctx context.Context, nodeName, to string, proto corev1.Protocol, port int32, family int) bool {
	n, ok := c.nodeBy[nodeName]
	if !ok {
		c.t.Logf("harness: probe from node %q: unknown node", nodeName)
		return false
	}
	if (family == 4 && !n.ip4.IsValid()) || (family == 6 && !n.ip6.IsValid()) {
		c.t.Logf("harness: probe from node %s: node has no IPv%d address", nodeName, family)
		return false
	}
	return c.probe(ctx, n.netns, to, proto, port, family)
}

// probe connects from the namespace fromNS to pod to.
func (c *Cluster) probe(ctx context.Context, fromNS, to string, proto corev1.Protocol, port int32, family int) bool {
	dst, ok := c.podBy[to]
	if !ok {
		c.t.Logf("harness: probe to unknown pod %q", to)
		return false
	}
	addr, ok := dst.ip(family)
	if !ok {
		c.t.Logf("harness: probe to %s: no IPv%d address", to, family)
		return false
	}
	if port <= 0 || port > 65535 {
		c.t.Logf("harness: probe to %s: bad port %d", to, port)
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	path := netns.Path(fromNS)
	ap := netip.AddrPortFrom(addr, uint16(port))
	var err error
	switch proto {
	case corev1.ProtocolTCP, "":
		err = netns.ProbeTCP(ctx, path, ap)
	case corev1.ProtocolUDP:
		err = netns.ProbeUDP(ctx, path, ap)
	case corev1.ProtocolSCTP:
		err = probeSCTP(ctx, path, dst, ap)
	default:
		err = fmt.Errorf("unknown protocol %q", proto)
	}
	if err != nil && !netns.Blocked(err) {
		c.t.Logf("harness: probe %s -> %s (%s) %s/%d: %v", fromNS, to, ap, proto, port, err)
	}
	return err == nil
}

// probeSCTP sends an INIT from the netns at path to dst's address ap and
// waits for dst's raw receiver to see it; a port dst does not declare is
// not listening.
func probeSCTP(ctx context.Context, path string, dst *pod, ap netip.AddrPort) error {
	if !dst.sctp[int32(ap.Port())] {
		return netns.ErrNotListening
	}
	fam := 4
	if ap.Addr().Is6() {
		fam = 6
	}
	return netns.ProbeSCTP(ctx, path, dst.listeners.SCTP(fam), ap)
}

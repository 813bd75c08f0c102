package harness

import (
	"fmt"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// startListeners opens, inside the pod's namespace, a TCP listener for each
// TCP port, a UDP echo server for each UDP port (reporting every datagram
// to the pod's nonce board), and raw SCTP receivers if the pod declares SCTP
// ports. Wildcard sockets are dual-stack.
func (c *Cluster) startListeners(p *pod) error {
	spec := netns.ListenSpec{UDPSeen: func(port uint16, b []byte) { p.udpSeen.saw(int32(port), b) }}
	for _, port := range p.tcp {
		spec.TCP = append(spec.TCP, uint16(port))
	}
	for _, port := range p.udp {
		spec.UDP = append(spec.UDP, uint16(port))
	}
	if len(p.sctp) > 0 {
		for _, fam := range []int{4, 6} {
			if _, ok := p.ip(fam); ok {
				spec.SCTP = append(spec.SCTP, fam)
			}
		}
	}
	l, err := netns.Listen(netns.Path(p.netns), spec)
	if err != nil {
		return fmt.Errorf("pod %s (netns %s): %w", p.key, p.netns, err)
	}
	c.addCloser(l)
	p.listeners = l
	return nil
}

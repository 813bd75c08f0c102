package harness

import (
	"fmt"
	"net/netip"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// ListenOnNode opens a TCP listener on port in the node's namespace, on every address of the node (its fabric
// addresses, and in the bridge topology its pod gateways), for probes from pods to their node or another node.
// It stays open until the cluster is torn down.
func (c *Cluster) ListenOnNode(node string, port int32) error {
	n, ok := c.nodeBy[node]
	if !ok {
		return fmt.Errorf("listen on node %q: unknown node", node)
	}
	if port < 0 || port > 65535 {
		return fmt.Errorf("listen on node %s: bad port %d", node, port)
	}
	l, err := netns.Listen(netns.Path(n.netns), netns.ListenSpec{TCP: []uint16{uint16(port)}})
	if err != nil {
		return fmt.Errorf("listen on node %s (netns %s) port %d: %w", node, n.netns, port, err)
	}
	c.addCloser(l)
	return nil
}

// NodeGateways returns the node's pod gateway addresses (bridge topology; none in the routed one).
func (c *Cluster) NodeGateways(node string) []netip.Addr {
	n, ok := c.nodeBy[node]
	if !ok || c.cfg.Topology != Bridge {
		return nil
	}
	var out []netip.Addr
	for _, a := range []netip.Addr{n.gw4, n.gw6} {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

package harness

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// ListenOnNodeUDP opens a UDP echo server on port in the node's namespace, on every address of the node, for probes
// from pods (ProbeAddr with the node's address). It stays open until the cluster is torn down.
func (c *Cluster) ListenOnNodeUDP(node string, port int32) error {
	n, err := c.nodeForListener(node, port)
	if err != nil {
		return err
	}
	l, err := netns.Listen(netns.Path(n.netns), netns.ListenSpec{UDP: []uint16{uint16(port)}})
	if err != nil {
		return fmt.Errorf("listen on node %s (netns %s) udp port %d: %w", node, n.netns, port, err)
	}
	c.addCloser(l)
	return nil
}

// NodeSCTP is a node's raw SCTP receiver, opened by ListenOnNodeSCTP: it sees the INITs addressed to the node
// itself and counts those to its ports as received.
type NodeSCTP struct {
	node  string
	l     *netns.Listeners
	ports []int32
}

// ListenOnNodeSCTP opens raw SCTP receivers (each family the cluster has) in the node's namespace, for probes to
// the node's addresses on ports (ProbeNodeSCTP); the kernel has no SCTP sockets, so the INIT seen is the probe's
// success, as for pods. They stay open until the cluster is torn down.
func (c *Cluster) ListenOnNodeSCTP(node string, ports ...int32) (*NodeSCTP, error) {
	n, err := c.nodeForListener(node, 1)
	if err != nil {
		return nil, err
	}
	for _, p := range ports {
		if p <= 0 || p > 65535 {
			return nil, fmt.Errorf("listen on node %s: bad sctp port %d", node, p)
		}
	}
	var spec netns.ListenSpec
	if n.ip4.IsValid() {
		spec.SCTP = append(spec.SCTP, 4)
	}
	if n.ip6.IsValid() {
		spec.SCTP = append(spec.SCTP, 6)
	}
	l, err := netns.Listen(netns.Path(n.netns), spec)
	if err != nil {
		return nil, fmt.Errorf("listen on node %s (netns %s) sctp: %w", node, n.netns, err)
	}
	c.addCloser(l)
	return &NodeSCTP{node: node, l: l, ports: slices.Clone(ports)}, nil
}

// ProbeNodeSCTP sends an SCTP INIT from pod from ("namespace/name") to the node's fabric address of the family
// (4 or 6) on port and tells whether rx, that node's receiver, saw it within the probe timeout. A port rx was not
// opened for is not listening.
func (c *Cluster) ProbeNodeSCTP(ctx context.Context, from string, rx *NodeSCTP, port int32, family int) bool {
	src, ok := c.podBy[from]
	if !ok || src.netns == "" {
		c.t.Logf("harness: sctp probe %s -> node %s: source pod unknown or without IP", from, rx.node)
		return false
	}
	n := c.nodeBy[rx.node]
	var addr netip.Addr
	switch family {
	case 4:
		addr = n.ip4
	case 6:
		addr = n.ip6
	}
	if !addr.IsValid() || port <= 0 || port > 65535 {
		c.t.Logf("harness: sctp probe %s -> node %s port %d: no IPv%d address or bad port", from, rx.node, port, family)
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var recv *netns.SCTPReceiver
	if slices.Contains(rx.ports, port) {
		recv = rx.l.SCTP(family)
	}
	err := netns.ProbeSCTP(ctx, netns.Path(src.netns), recv, netip.AddrPortFrom(addr, uint16(port)))
	if err != nil && !netns.Blocked(err) {
		c.t.Logf("harness: sctp probe %s -> node %s (%s) port %d: %v", from, rx.node, addr, port, err)
	}
	return err == nil
}

// nodeForListener checks the node and port of a node listener.
func (c *Cluster) nodeForListener(name string, port int32) (*node, error) {
	n, ok := c.nodeBy[name]
	if !ok {
		return nil, fmt.Errorf("listen on node %q: unknown node", name)
	}
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("listen on node %s: bad port %d", name, port)
	}
	return n, nil
}

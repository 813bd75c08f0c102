package labnet

import (
	"errors"
	"fmt"
	"net/netip"
)

// AddExternal creates a host outside the cluster at ip: namespace
// "<id>-x<k>" with a routed veth to the node (node end x<k>, as in the
// routed topology, whatever the lab's topology), listening on ports. Pods
// reach it through the node and it reaches pods through the node. Its key
// for Probe is ip.String(). In the bridge topology ip may lie inside a pod
// subnet (the pods of that subnet have a permanent neighbour entry with
// br0's MAC for it, and br0 answers their ARP and neighbour solicitations
// for it too), but not be that subnet's network, gateway or broadcast
// address.
func (n *Net) AddExternal(ip netip.Addr, ports []Port) error {
	if err := n.addExternal(ip, ports); err != nil {
		return fmt.Errorf("add external %s: %w", ip, err)
	}
	return nil
}

func (n *Net) addExternal(ip netip.Addr, ports []Port) error {
	ports, err := uniquePorts(ports)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("lab is closed")
	}
	if err := n.checkFree(ip); err != nil {
		return err
	}
	if err := n.checkExternalIP(ip); err != nil {
		return err
	}
	e := &endpoint{
		key: ip.String(), external: true, ips: []netip.Addr{ip},
		mac:    podMAC([]netip.Addr{ip}, func(string) bool { return false }),
		netns:  fmt.Sprintf("%s-x%d", n.id, n.nextExt),
		hostIf: fmt.Sprintf("x%d", n.nextExt),
	}
	n.nextExt++
	nodeSide := routedNodeSide(e.hostIf, e.netns, e.mac, e.ips)
	var undo []string
	if n.cfg.Topology == Bridge && ip.Is6() && n.subnets[bridgeSubnet(ip)] > 0 {
		nodeSide = append(nodeSide, proxyLine("add", ip))
		undo = append(undo, proxyLine("del", ip))
	}
	n.reserve(e)
	if err := n.build(e, ports, nodeSide, routedEndSide(e.ips)); err != nil {
		n.release(e)
		if derr := n.destroy(e, undo); derr != nil {
			err = errors.Join(err, derr)
		}
		return fmt.Errorf("netns %s: %w", e.netns, err)
	}
	n.publish(e)
	return nil
}

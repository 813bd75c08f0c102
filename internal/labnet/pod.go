package labnet

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// AddPod creates the pod's namespace "<id>-p<k>" (k increments, never
// reused), a veth to the node (node end p<k>, pod end eth0), its addresses
// and routes, and listeners on its ports: TCP accept-and-close, UDP echo,
// a raw SCTP receiver per family. key is "namespace/name"; ips holds 1 or
// 2 addresses, at most one per family. See the package doc for the
// addressing rules of each topology.
func (n *Net) AddPod(key string, ips []netip.Addr, ports []Port) error {
	if err := n.addPod(key, ips, ports); err != nil {
		return fmt.Errorf("add pod %s: %w", key, err)
	}
	return nil
}

func (n *Net) addPod(key string, ips []netip.Addr, ports []Port) error {
	ns, name, ok := strings.Cut(key, "/")
	if !ok || ns == "" || name == "" || strings.ContainsAny(name, "/ \t\n") {
		return errors.New(`key must be "namespace/name"`)
	}
	if len(ips) == 0 || len(ips) > 2 || (len(ips) == 2 && family(ips[0]) == family(ips[1])) {
		return fmt.Errorf("need 1 or 2 addresses, at most one per family, got %v", ips)
	}
	ports, err := uniquePorts(ports)
	if err != nil {
		return err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return errors.New("lab is closed")
	}
	if _, dup := n.byKey[key]; dup {
		return errors.New("pod exists")
	}
	for _, ip := range ips {
		if err := n.checkFree(ip); err != nil {
			return err
		}
		if n.cfg.Topology == Bridge {
			if err := n.checkBridgePodIP(ip); err != nil {
				return err
			}
		}
	}
	e := &endpoint{
		key: key, ips: slices.Clone(ips), mac: podMAC(ips, n.macTaken),
		netns:  fmt.Sprintf("%s-p%d", n.id, n.nextPod),
		hostIf: fmt.Sprintf("p%d", n.nextPod),
	}
	n.nextPod++
	var nodeSide, endSide []string
	var newGWs []netip.Prefix
	if n.cfg.Topology == Bridge {
		var proxied []netip.Addr
		for _, ip := range ips {
			if s := bridgeSubnet(ip); n.subnets[s] == 0 {
				newGWs = append(newGWs, s)
				proxied = append(proxied, n.proxiedIn(s)...)
			}
		}
		nodeSide, endSide = bridgeNodeSide(e.hostIf, e.netns, e.mac, newGWs, proxied), bridgeEndSide(ips)
	} else {
		nodeSide, endSide = routedNodeSide(e.hostIf, e.netns, e.mac, ips), routedEndSide(ips)
	}
	n.reserve(e)
	if err := n.build(e, ports, nodeSide, endSide); err != nil {
		n.release(e)
		var undo []string
		for _, s := range newGWs {
			if n.subnets[s] == 0 {
				if n.gatewayPresent(s) {
					undo = append(undo, gwLine("del", s))
				}
				for _, a := range n.proxiedIn(s) {
					undo = append(undo, proxyLine("del", a))
				}
			}
		}
		if derr := n.destroy(e, undo); derr != nil {
			err = errors.Join(err, derr)
		}
		return fmt.Errorf("netns %s: %w", e.netns, err)
	}
	n.publish(e)
	return nil
}

// RemovePod waits for the probes running from the pod, closes its sockets,
// deletes the neighbour entries the other pods and br0 have for it, and
// deletes its veth and namespace (and, if it was the last pod of a subnet,
// the subnet's gateway and proxy entries on br0).
func (n *Net) RemovePod(key string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.epMu.RLock()
	e := n.byKey[key]
	n.epMu.RUnlock()
	if e == nil || e.external {
		return fmt.Errorf("remove pod %s: no such pod", key)
	}
	n.unpublish(e)
	n.release(e)
	var lines []string
	if n.cfg.Topology == Bridge {
		for _, ip := range e.ips {
			if s := bridgeSubnet(ip); n.subnets[s] == 0 {
				lines = append(lines, gwLine("del", s))
				for _, a := range n.proxiedIn(s) {
					lines = append(lines, proxyLine("del", a))
				}
			}
		}
	}
	return n.destroy(e, lines)
}

// Pods returns the keys of the pods, sorted.
func (n *Net) Pods() []string {
	n.epMu.RLock()
	defer n.epMu.RUnlock()
	var out []string
	for k, e := range n.byKey {
		if !e.external {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// PodNetnsPath returns the path of the pod's network namespace (for setns), so that callers can run their own
// sockets inside it, e.g. a benchmark's pinned client and server.
func (n *Net) PodNetnsPath(key string) (string, error) {
	n.epMu.RLock()
	defer n.epMu.RUnlock()
	e := n.byKey[key]
	if e == nil || e.external {
		return "", fmt.Errorf("pod %s: no such pod", key)
	}
	return e.path(), nil
}

package build

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// nodeInfo is a Node as ClusterNetworkPolicy nodes peers see it: its labels and addresses.
type nodeInfo struct {
	name   string
	labels labels.Set
	// addrs are the InternalIP and ExternalIP entries of status.addresses, sorted and unique. An entry that does
	// not parse as an IP is left out: no packet can carry it.
	addrs []netip.Addr
}

// newNodes lists the nodes sorted by name; a name listed twice fails.
func newNodes(in []*corev1.Node) ([]nodeInfo, error) {
	out := make([]nodeInfo, 0, len(in))
	for _, n := range in {
		if n == nil {
			continue
		}
		ni := nodeInfo{name: n.Name, labels: labels.Set(n.Labels)}
		for _, a := range n.Status.Addresses {
			if a.Type != corev1.NodeInternalIP && a.Type != corev1.NodeExternalIP {
				continue
			}
			if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Zone() == "" {
				ni.addrs = append(ni.addrs, ip.Unmap())
			}
		}
		slices.SortFunc(ni.addrs, netip.Addr.Compare)
		ni.addrs = slices.Compact(ni.addrs)
		out = append(out, ni)
	}
	slices.SortFunc(out, func(a, b nodeInfo) int { return cmp.Compare(a.name, b.name) })
	for i := 1; i < len(out); i++ {
		if out[i-1].name == out[i].name {
			return nil, fmt.Errorf("Node %s: listed twice", out[i].name)
		}
	}
	return out, nil
}

// nodeAddrs returns the addresses of the nodes sel selects, sorted and unique.
func nodeAddrs(nodes []nodeInfo, sel labels.Selector) []netip.Addr {
	var out []netip.Addr
	for i := range nodes {
		if sel.Matches(nodes[i].labels) {
			out = append(out, nodes[i].addrs...)
		}
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

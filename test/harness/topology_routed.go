package harness

import "fmt"

// Routed topology (Calico/ptp style): every pod is a /32 and /128 routed to
// its own veth; the node end of each veth has only the fixed link-local
// gateways 169.254.1.1/32 (scope link) and fe80::1/64.

const (
	routedGW4 = "169.254.1.1"
	routedGW6 = "fe80::1"
)

// routedNodeLines creates one veth pair per pod (the pod end moved straight
// into the pod namespace as eth0) and routes the pod's addresses to it.
func routedNodeLines(c *Cluster, n *node) []string {
	var l []string
	for _, p := range n.pods {
		l = append(l,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", p.hostIf, p.netns),
			fmt.Sprintf("link set %s up", p.hostIf),
		)
		if c.cfg.IPv4 {
			l = append(l,
				fmt.Sprintf("addr add %s/32 dev %s scope link", routedGW4, p.hostIf),
				// src: node-originated traffic leaves from the node IP, as
				// with Calico, not from the link-scoped 169.254.1.1.
				fmt.Sprintf("route add %s/32 dev %s src %s", p.ip4, p.hostIf, n.ip4),
			)
		}
		if c.cfg.IPv6 {
			l = append(l,
				fmt.Sprintf("addr add %s/64 dev %s nodad", routedGW6, p.hostIf),
				fmt.Sprintf("route add %s/128 dev %s", p.ip6, p.hostIf),
			)
		}
	}
	return l
}

// routedPodLines configures eth0 inside the pod namespace.
func routedPodLines(c *Cluster, p *pod) []string {
	l := []string{"link set lo up"}
	if c.cfg.IPv4 {
		l = append(l, fmt.Sprintf("addr add %s/32 dev eth0", p.ip4))
	}
	if c.cfg.IPv6 {
		l = append(l, fmt.Sprintf("addr add %s/128 dev eth0 nodad", p.ip6))
	}
	l = append(l, "link set eth0 up")
	if c.cfg.IPv4 {
		l = append(l,
			fmt.Sprintf("route add %s/32 dev eth0 scope link", routedGW4),
			fmt.Sprintf("route add 0.0.0.0/0 via %s dev eth0", routedGW4),
		)
	}
	if c.cfg.IPv6 {
		l = append(l, fmt.Sprintf("route add ::/0 via %s dev eth0", routedGW6))
	}
	return l
}

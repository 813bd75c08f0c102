package harness

import "fmt"

// Bridge topology: pods hang off a bridge br0 in the node namespace that
// carries the gateway addresses; br_netfilter makes bridged traffic pass the
// inet forward hook.

func bridgeNodeSysctls() [][2]string {
	return [][2]string{
		{"net.bridge.bridge-nf-call-iptables", "1"},
		{"net.bridge.bridge-nf-call-ip6tables", "1"},
	}
}

// bridgeNodeLines configures br0 and creates one veth pair per pod, the pod
// end moved straight into the pod namespace as eth0.
func bridgeNodeLines(c *Cluster, n *node) []string {
	l := []string{"link add br0 type bridge mcast_snooping 0"}
	if c.cfg.IPv4 {
		l = append(l, fmt.Sprintf("addr add %s/24 dev br0", n.gw4))
	}
	if c.cfg.IPv6 {
		l = append(l, fmt.Sprintf("addr add %s/64 dev br0 nodad", n.gw6))
	}
	l = append(l, "link set br0 up")
	for _, p := range n.pods {
		l = append(l,
			fmt.Sprintf("link add %s type veth peer name eth0 netns %s", p.hostIf, p.netns),
			fmt.Sprintf("link set %s master br0 up", p.hostIf),
		)
	}
	return l
}

// bridgePodLines configures eth0 inside the pod namespace.
func bridgePodLines(c *Cluster, p *pod) []string {
	l := []string{"link set lo up"}
	if c.cfg.IPv4 {
		l = append(l, fmt.Sprintf("addr add %s/24 dev eth0", p.ip4))
	}
	if c.cfg.IPv6 {
		l = append(l, fmt.Sprintf("addr add %s/64 dev eth0 nodad", p.ip6))
	}
	l = append(l, "link set eth0 up")
	if c.cfg.IPv4 {
		l = append(l, fmt.Sprintf("route add 0.0.0.0/0 via %s dev eth0", p.node.gw4))
	}
	if c.cfg.IPv6 {
		l = append(l, fmt.Sprintf("route add ::/0 via %s dev eth0", p.node.gw6))
	}
	return l
}

package harness

import (
	"context"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func edgeConfig(topo Topology) Config {
	cfg := Config{Topology: topo, Nodes: []string{"n"}, IPv4: true, IPv6: true}
	for _, name := range []string{"a", "b", "c"} {
		cfg.Pods = append(cfg.Pods, PodSpec{Namespace: "x", Name: name, Node: "n", Ports: []corev1.ContainerPort{
			{ContainerPort: 80, Protocol: corev1.ProtocolTCP},
			{ContainerPort: 80, Protocol: corev1.ProtocolUDP},
			{ContainerPort: 80, Protocol: corev1.ProtocolSCTP},
		}})
	}
	return cfg
}

// TestLinkLocalAndBroadcast: with no ruleset, pods of one bridge reach each
// other's fe80:: addresses and see each other's subnet broadcasts; a forward
// rule of the node can stop both. On routed veths neither crosses the node.
func TestLinkLocalAndBroadcast(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	t.Run("bridge", func(t *testing.T) {
		c := New(t, edgeConfig(Bridge))
		lla, ok := c.PodLinkLocal("x", "a")
		if !ok || !lla.IsLinkLocalUnicast() {
			t.Fatalf("PodLinkLocal(x/a) = %v, %v", lla, ok)
		}
		if llb, _ := c.PodLinkLocal("x", "b"); llb == lla {
			t.Errorf("x/a and x/b share the link-local address %v", lla)
		}
		if _, ok := c.PodLinkLocal("x", "nope"); ok {
			t.Error("PodLinkLocal of an unknown pod")
		}
		ll := netip.AddrPortFrom(lla, 80)
		for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP} {
			if !c.ProbeAddr(ctx, "x/b", ll, proto, "eth0") {
				t.Errorf("x/b -> x/a link-local %s failed", proto)
			}
		}
		ip6, _ := c.PodIP("x", "a", 6)
		if !c.ProbeAddr(ctx, "x/b", netip.AddrPortFrom(ip6, 80), corev1.ProtocolTCP, "") {
			t.Error("ProbeAddr x/b -> x/a pod IPv6 failed")
		}
		if c.ProbeAddr(ctx, "x/b", netip.AddrPortFrom(ip6, 81), corev1.ProtocolTCP, "") {
			t.Error("ProbeAddr to a port nobody listens on connected")
		}
		if !c.ProbeBroadcast(ctx, "x/b", "x/a", 80) || !c.ProbeBroadcast(ctx, "x/a", "x/c", 80) {
			t.Error("broadcast not received")
		}
		if c.ProbeBroadcast(ctx, "x/b", "x/a", 81) {
			t.Error("broadcast received on a port nobody listens on")
		}
		if err := c.LoadNft("n", forwardTable("meta pkttype broadcast drop")); err != nil {
			t.Fatal(err)
		}
		if c.ProbeBroadcast(ctx, "x/b", "x/a", 80) {
			t.Error("broadcast received through a forward drop rule")
		}
		if !c.ProbeAddr(ctx, "x/b", ll, corev1.ProtocolTCP, "eth0") {
			t.Error("link-local blocked by a broadcast drop rule")
		}
		if err := c.LoadNft("n", "flush table inet nftpolicy\n"+forwardTable("ip6 daddr fe80::/10 tcp dport 80 drop")); err != nil {
			t.Fatal(err)
		}
		if c.ProbeAddr(ctx, "x/b", ll, corev1.ProtocolTCP, "eth0") {
			t.Error("link-local TCP went through a forward drop rule")
		}
	})
	t.Run("routed", func(t *testing.T) {
		c := New(t, edgeConfig(Routed))
		lla, ok := c.PodLinkLocal("x", "a")
		if !ok {
			t.Fatal("no link-local address")
		}
		if c.ProbeAddr(ctx, "x/b", netip.AddrPortFrom(lla, 80), corev1.ProtocolTCP, "eth0") {
			t.Error("a routed pod reached another pod's link-local address")
		}
		if c.ProbeBroadcast(ctx, "x/b", "x/a", 80) {
			t.Error("broadcast probe in the routed topology")
		}
	})
}

// TestService: a ClusterIP-like DNAT in the node, in both families and both
// topologies; the backend reaches itself through it (hairpin), other pods
// reach it, nftpolicy's table is not touched.
func TestService(t *testing.T) {
	requireRoot(t)
	ctx := context.Background()
	vips := []netip.AddrPort{netip.MustParseAddrPort("10.96.0.10:8080"), netip.MustParseAddrPort("[fd00:96::10]:8080")}
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			c := New(t, edgeConfig(topo))
			for _, vip := range vips {
				if err := c.AddService("n", vip, "x/a", 80); err != nil {
					t.Fatal(err)
				}
			}
			for _, vip := range vips {
				for _, proto := range []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP} {
					for _, from := range []string{"x/a", "x/b"} {
						if !c.ProbeAddr(ctx, from, vip, proto, "") {
							t.Errorf("%s -> service %s %s failed", from, vip, proto)
						}
					}
				}
				// The VIP only DNATs its own port.
				if c.ProbeAddr(ctx, "x/b", netip.AddrPortFrom(vip.Addr(), 80), corev1.ProtocolTCP, "") {
					t.Errorf("x/b -> %s port 80 connected", vip.Addr())
				}
			}
			if err := c.AddService("n", netip.MustParseAddrPort("10.96.0.11:80"), "x/nope", 80); err == nil {
				t.Error("AddService with an unknown backend")
			}
			if err := c.ResetNode("n"); err != nil {
				t.Fatal(err)
			}
			if !c.ProbeAddr(ctx, "x/a", vips[0], corev1.ProtocolTCP, "") {
				t.Error("ResetNode removed the service")
			}
		})
	}
}

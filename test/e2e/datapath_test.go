package e2e

// Datapath edge cases the truth tables of the other cases cannot express, because the packets are not
// addressed to a pod IP: IPv6 link-local addresses, IPv4 subnet broadcast, and a pod reaching itself through
// a Service VIP (hairpin). One bridge cluster (br_netfilter, where all three matter): one node, pods x/a,
// x/b, x/c, dual-stack, TCP and UDP listeners on port 80. Each state is programmed twice in turn and probed
// each time: through the nft layer (kernel.Conn.Sync) and from scratch with `nft -f` of the same table's text.
//
// Expectations come from the NetworkPolicy spec, written by hand:
//   - A pod isolated for ingress accepts only what a rule allows, whatever address the packet was sent to
//     (its pod IP, its link-local address, a broadcast address), so none of these reach it when nothing is
//     allowed.
//   - "A pod cannot block access to itself": a pod isolated in both directions still reaches itself through
//     a Service whose backend it is, while the same Service is closed to other pods.
//   - With no pod isolated, nftpolicy changes nothing: link-local and broadcast traffic flow as without it.

import (
	"context"
	"net/netip"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

const dpNode = "node-a"

// The Service VIPs AddService puts in front of x/a:80 on dpNode.
var (
	dpVIP4 = netip.MustParseAddrPort("10.96.0.10:8080")
	dpVIP6 = netip.MustParseAddrPort("[fd00:96::10]:8080")
)

// dpCluster is the bridge cluster of these tests, with both loaders at hand.
type dpCluster struct {
	*harness.Cluster
	conn *kernel.Conn // nil after the nft -f loader replaced the table behind its back
}

func newDatapathCluster(t *testing.T) *dpCluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test sends real packets through network namespaces and needs root (CI runs as root)")
	}
	cfg := harness.Config{Topology: harness.Bridge, Nodes: []string{dpNode}, IPv4: true, IPv6: true, ProbeTimeout: time.Second}
	for _, name := range []string{"a", "b", "c"} {
		cfg.Pods = append(cfg.Pods, harness.PodSpec{
			Namespace: "x", Name: name, Node: dpNode, Labels: DefaultPodLabels("x", name),
			Ports: []corev1.ContainerPort{
				{Name: "serve-80-tcp", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
				{Name: "serve-80-udp", ContainerPort: 80, Protocol: corev1.ProtocolUDP},
			},
		})
	}
	c := &dpCluster{Cluster: harness.New(t, cfg)}
	t.Cleanup(func() {
		if c.conn != nil {
			c.conn.Close()
		}
	})
	for _, vip := range []netip.AddrPort{dpVIP4, dpVIP6} {
		if err := c.AddService(dpNode, vip, xa, 80); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// dpLoaders are the two ways a state is programmed; each state is checked after each.
var dpLoaders = []string{"nft layer", "nft -f"}

// program compiles the node's table for pols and loads it with loader.
func (c *dpCluster) program(t *testing.T, loader string, pols ...*networkingv1.NetworkPolicy) {
	t.Helper()
	ns := []*corev1.Namespace{{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: "x", Labels: withMetadataName("x", DefaultNamespaceLabels("x"))},
	}}
	n, err := build.Node(build.Cluster{Namespaces: ns, Pods: c.Pods(), Policies: pols}, dpNode)
	if err != nil {
		t.Fatalf("build.Node: %v", err)
	}
	table := compiler.Compile(n)
	switch loader {
	case "nft layer":
		if c.conn == nil {
			if c.conn, err = kernel.Open(c.NodeNetnsPath(dpNode)); err != nil {
				t.Fatalf("kernel.Open: %v", err)
			}
		}
		if _, err := c.conn.Sync(table); err != nil {
			t.Fatalf("sync: %v", err)
		}
	case "nft -f":
		if err := c.ResetNode(dpNode); err != nil {
			t.Fatal(err)
		}
		if err := c.LoadNft(dpNode, table.Text()); err != nil {
			t.Fatal(err)
		}
		if c.conn != nil { // its memory of the node is stale now; the next Sync reconnects and re-reads
			c.conn.Close()
			c.conn = nil
		}
	default:
		t.Fatalf("unknown loader %q", loader)
	}
}

// expect runs probe and reports a result other than want. A probe that should succeed but did not is tried
// once more (a handshake can miss its timeout on a loaded machine); one that succeeded where it should not
// is never retried.
func (c *dpCluster) expect(t *testing.T, what string, want bool, probe func() bool) {
	t.Helper()
	got := probe()
	if !got && want {
		got = probe()
	}
	if got != want {
		rs, err := c.ListRuleset(dpNode)
		if err != nil {
			rs = err.Error()
		}
		t.Errorf("%s: succeeded=%v, want %v\n--- ruleset of %s ---\n%s", what, got, want, dpNode, rs)
	}
}

func (c *dpCluster) podIP(t *testing.T, pod string, family int) netip.Addr {
	t.Helper()
	ns, name := splitPod(pod)
	ip, ok := c.PodIP(ns, name, family)
	if !ok {
		t.Fatalf("%s has no IPv%d address", pod, family)
	}
	return ip
}

func (c *dpCluster) linkLocal(t *testing.T, pod string) netip.AddrPort {
	t.Helper()
	ns, name := splitPod(pod)
	ll, ok := c.PodLinkLocal(ns, name)
	if !ok {
		t.Fatalf("%s has no link-local address", pod)
	}
	return netip.AddrPortFrom(ll, 80)
}

// isolateAIngress selects x/a for ingress (policyTypes [Ingress]) and allows nothing.
func isolateAIngress() *networkingv1.NetworkPolicy {
	return newPolicy("x", "isolate-a-ingress", podSel("a"), withIngress())
}

// isolateABoth selects x/a for ingress and egress and allows nothing either way.
func isolateABoth() *networkingv1.NetworkPolicy {
	return newPolicy("x", "isolate-a-both", podSel("a"), withIngress(), withEgress())
}

// TestDatapathEdgeCases walks one cluster through four states: no policies, x/a isolated for ingress, x/a
// isolated both ways, and no policies again.
func TestDatapathEdgeCases(t *testing.T) {
	c := newDatapathCluster(t)
	ctx := context.Background()
	tcp, udp := corev1.ProtocolTCP, corev1.ProtocolUDP

	// (d) Nothing selected: nftpolicy changes nothing. Checked before any policy and after the last is gone.
	nothingSelected := func(t *testing.T) {
		for _, proto := range []corev1.Protocol{tcp, udp} {
			c.expect(t, "x/b -> x/a link-local "+string(proto), true, func() bool {
				return c.ProbeAddr(ctx, xb, c.linkLocal(t, xa), proto, "eth0")
			})
		}
		c.expect(t, "x/c -> x/b link-local TCP", true, func() bool {
			return c.ProbeAddr(ctx, xc, c.linkLocal(t, xb), tcp, "eth0")
		})
		c.expect(t, "x/b broadcast -> x/a", true, func() bool { return c.ProbeBroadcast(ctx, xb, xa, 80) })
		c.expect(t, "x/a broadcast -> x/c", true, func() bool { return c.ProbeBroadcast(ctx, xa, xc, 80) })
		for _, vip := range []netip.AddrPort{dpVIP4, dpVIP6} {
			c.expect(t, "x/a -> itself via service "+vip.String(), true, func() bool { return c.ProbeAddr(ctx, xa, vip, tcp, "") })
			c.expect(t, "x/b -> x/a via service "+vip.String(), true, func() bool { return c.ProbeAddr(ctx, xb, vip, tcp, "") })
		}
	}

	for _, loader := range dpLoaders {
		t.Run("no policies/"+loader, func(t *testing.T) {
			c.program(t, loader)
			nothingSelected(t)
		})
	}

	// (a) + (b) x/a isolated for ingress, nothing allowed: whatever address x/b sends to, x/a does not get it.
	for _, loader := range dpLoaders {
		t.Run("x/a ingress isolated/"+loader, func(t *testing.T) {
			c.program(t, loader, isolateAIngress())
			for _, proto := range []corev1.Protocol{tcp, udp} {
				c.expect(t, "x/b -> x/a link-local "+string(proto), false, func() bool {
					return c.ProbeAddr(ctx, xb, c.linkLocal(t, xa), proto, "eth0")
				})
			}
			for _, fam := range []int{6, 4} {
				c.expect(t, "x/b -> x/a pod IP", false, func() bool {
					return c.ProbeAddr(ctx, xb, netip.AddrPortFrom(c.podIP(t, xa, fam), 80), tcp, "")
				})
				// Sanity: x/c is not selected by any policy; its pod IPs stay open.
				c.expect(t, "x/b -> x/c pod IP", true, func() bool {
					return c.ProbeAddr(ctx, xb, netip.AddrPortFrom(c.podIP(t, xc, fam), 80), tcp, "")
				})
			}
			c.expect(t, "x/b broadcast -> x/a", false, func() bool { return c.ProbeBroadcast(ctx, xb, xa, 80) })
			// x/a's egress is not isolated: its unicast still goes out.
			c.expect(t, "x/a -> x/b pod IP", true, func() bool {
				return c.ProbeAddr(ctx, xa, netip.AddrPortFrom(c.podIP(t, xb, 4), 80), tcp, "")
			})
		})
	}

	// (c) x/a isolated both ways: it still reaches itself through its Service (hairpin; a pod cannot block
	// access to itself), while x/b through the same VIP is denied by x/a's ingress.
	for _, loader := range dpLoaders {
		t.Run("x/a isolated both ways/"+loader, func(t *testing.T) {
			c.program(t, loader, isolateABoth())
			for _, vip := range []netip.AddrPort{dpVIP4, dpVIP6} {
				for _, proto := range []corev1.Protocol{tcp, udp} {
					c.expect(t, "x/a -> itself via service "+vip.String()+" "+string(proto), true, func() bool {
						return c.ProbeAddr(ctx, xa, vip, proto, "")
					})
				}
				c.expect(t, "x/b -> x/a via service "+vip.String(), false, func() bool {
					return c.ProbeAddr(ctx, xb, vip, tcp, "")
				})
			}
			// Sanity: the isolation holds for x/a's own traffic to others.
			c.expect(t, "x/a -> x/b pod IP", false, func() bool {
				return c.ProbeAddr(ctx, xa, netip.AddrPortFrom(c.podIP(t, xb, 4), 80), tcp, "")
			})
		})
	}

	for _, loader := range dpLoaders {
		t.Run("policies deleted/"+loader, func(t *testing.T) {
			c.program(t, loader)
			nothingSelected(t)
		})
	}
}

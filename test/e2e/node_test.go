package e2e

// Traffic between pods and nodes. NetworkPolicy always allows traffic to and from the node a pod runs on
// (upstream docs: "traffic to and from the node where a Pod is running is always allowed, regardless of the IP
// address of the Pod or the node"), while another node is an ordinary peer: its traffic to an isolated pod is
// forwarded by the pod's node and filtered there. Expectations written by hand from that sentence.
//
// Two nodes, x/a on node-a and x/b on node-b, dual-stack, in both topologies. x/a is isolated in both
// directions with nothing allowed; x/b is not isolated.

import (
	"context"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

const nodePort = 9000

func TestNodeTraffic(t *testing.T) {
	requireRoot(t)
	for _, topo := range []harness.Topology{harness.Bridge, harness.Routed} {
		t.Run(string(topo), func(t *testing.T) {
			t.Parallel()
			ports := []corev1.ContainerPort{{Name: "serve-80-tcp", ContainerPort: 80, Protocol: corev1.ProtocolTCP}}
			c := harness.New(t, harness.Config{Topology: topo, Nodes: nodes, IPv4: true, IPv6: true, ProbeTimeout: time.Second,
				Pods: []harness.PodSpec{
					{Namespace: "x", Name: "a", Node: "node-a", Labels: DefaultPodLabels("x", "a"), Ports: ports},
					{Namespace: "x", Name: "b", Node: "node-b", Labels: DefaultPodLabels("x", "b"), Ports: ports},
				}})
			for _, n := range nodes {
				if err := c.ListenOnNode(n, nodePort); err != nil {
					t.Fatal(err)
				}
			}
			deny := denyIngressEgress("x", "deny-a")
			deny.Spec.PodSelector = podSel("a")
			for _, n := range nodes {
				ir, err := build.Node(build.Cluster{Pods: c.Pods(), Policies: []*networkingv1.NetworkPolicy{deny}}, n)
				if err != nil {
					t.Fatal(err)
				}
				conn, err := kernel.Open(c.NodeNetnsPath(n))
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				if _, err := conn.Sync(compiler.Compile(ir)); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			toNode := func(from, node string, want bool) {
				addrs := append(c.NodeIPs(node), c.NodeGateways(node)...)
				for _, a := range addrs {
					got := c.ProbeAddr(ctx, from, netip.AddrPortFrom(a, nodePort), corev1.ProtocolTCP, "")
					if got != want {
						t.Errorf("%s -> node %s (%s): connected=%v, want %v", from, node, a, got, want)
					}
				}
			}
			toNode(xa, "node-a", true)  // its own node: always allowed
			toNode(xa, "node-b", false) // another node: x/a's egress allows nothing
			toNode(xb, "node-a", true)  // not isolated
			for _, fam := range []int{4, 6} {
				if !c.ProbeFromNode(ctx, "node-a", xa, corev1.ProtocolTCP, 80, fam) {
					t.Errorf("node-a -> x/a over IPv%d blocked; its own node is always allowed", fam)
				}
				if c.ProbeFromNode(ctx, "node-b", xa, corev1.ProtocolTCP, 80, fam) {
					t.Errorf("node-b -> x/a over IPv%d connected; another node is an ordinary peer", fam)
				}
			}
		})
	}
}

package bench

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// BenchmarkChange is what one change to the cluster costs node-0 of 10,000 policies × 50,000 pods at the nft
// layer, without the API server: build+compile of the state after the change, then kernel.Conn.Sync of it into a
// network namespace holding the state before. The rounds alternate between the two states (after, back to
// before, ...), so every round applies a real change. Changes:
//
//   - relabel: a pod of another node whose addresses are in node-0's sets moves to another app; the plan must
//     hold only set elements (nothing else may change: it is the common event of a busy cluster);
//   - pod-added: a new pod on another node, a copy of such a peer with addresses of its own;
//   - policy-added: a new ingress policy for a local app that no ingress policy selected (app-0 of ns-2, from
//     app-1 on TCP 8000): new chains, sets and verdict-map elements.
//
// It reports, as medians with -min and -max over at least 5 rounds: msgs (netlink messages sent, from
// kernel.Conn.LastBatch), apply-µs (the Sync call) and compile-ms (build+compile of the state applied); and
// elems, the set elements the change adds or deletes.
func BenchmarkChange(b *testing.B) {
	const policies, pods = 10000, 50000
	before, node := Cluster(policies, pods)
	base := compileNode(b, before, node)
	for _, tc := range []struct {
		name string
		// after returns the cluster after the change (before is not modified).
		after        func(b *testing.B) build.Cluster
		elementsOnly bool
	}{
		{"relabel", func(b *testing.B) build.Cluster { return relabelledPeer(b, before, node, base) }, true},
		{"pod-added", func(b *testing.B) build.Cluster { return withNewPeer(b, before, node, base) }, false},
		{"policy-added", func(*testing.B) build.Cluster {
			c := before
			c.Policies = append(slices.Clip(before.Policies), newIngressPolicy())
			return c
		}, false},
	} {
		b.Run(tc.name, func(b *testing.B) {
			after := tc.after(b)
			_, path := netnstest.New(b, "change")
			conn, err := kernel.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { conn.Close() })
			if _, err := conn.Sync(base); err != nil {
				b.Fatal(err)
			}
			states := [2]build.Cluster{after, before}
			var msgs, apply, compile []float64
			elems := 0
			round := func() {
				i := len(apply)
				start := time.Now()
				want := compileNode(b, states[i%2], node)
				compiled := time.Since(start)
				start = time.Now()
				p, err := conn.Sync(want)
				d := time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if p.Empty() {
					b.Fatalf("round %d: the change changes nothing on %s", i, node)
				}
				if tc.elementsOnly && !onlyElements(p) {
					b.Fatalf("round %d: not only set elements: %s", i, planShape(p))
				}
				if i == 0 {
					elems = planElements(p)
					b.Logf("%s: %s", tc.name, planShape(p))
				}
				msgs = append(msgs, float64(conn.LastBatch().Messages))
				apply, compile = append(apply, durUs(d)), append(compile, durMs(compiled))
			}
			for b.Loop() {
				round()
			}
			for len(apply) < minRounds || len(apply)%2 == 1 { // end on the state before: an even count
				round()
			}
			reportSpread(b, "msgs", msgs)
			reportSpread(b, "apply-µs", apply)
			reportSpread(b, "compile-ms", compile)
			b.ReportMetric(float64(elems), "elems")
		})
	}
}

func compileNode(b *testing.B, c build.Cluster, node string) *nft.Table {
	b.Helper()
	n, err := build.Node(c, node)
	if err != nil {
		b.Fatal(err)
	}
	return compiler.Compile(n)
}

// peersOf returns the pods of other nodes than node that have an address in one of t's sets, in cluster order.
func peersOf(c build.Cluster, node string, t *nft.Table) []int {
	inSets := map[netip.Addr]bool{}
	for _, s := range t.Sets {
		for _, e := range s.Elements {
			if e.Addr.IsValid() && e.Addr == e.AddrLast {
				inSets[e.Addr] = true
			}
		}
	}
	var out []int
	for j, p := range c.Pods {
		if p.Spec.NodeName == node {
			continue
		}
		for _, ip := range p.Status.PodIPs {
			if a, err := netip.ParseAddr(ip.IP); err == nil && inSets[a] {
				out = append(out, j)
				break
			}
		}
	}
	return out
}

// relabelledPeer returns c with a peer of node's sets moved to the next app of its namespace: the first such
// move (of at most 20 tried) whose plan holds only element changes.
func relabelledPeer(b *testing.B, c build.Cluster, node string, base *nft.Table) build.Cluster {
	b.Helper()
	peers := peersOf(c, node, base)
	for _, j := range peers[:min(len(peers), 20)] {
		p := c.Pods[j].DeepCopy()
		var app int
		if _, err := fmt.Sscanf(p.Labels["app"], "app-%d", &app); err != nil {
			b.Fatalf("pod %s/%s: app label %q", p.Namespace, p.Name, p.Labels["app"])
		}
		p.Labels = maps.Clone(p.Labels)
		p.Labels["app"] = appName((app + 1) % appsPerNs)
		after := c
		after.Pods = slices.Clone(c.Pods)
		after.Pods[j] = p
		if plan := nft.Diff(base, compileNode(b, after, node)); !plan.Empty() && onlyElements(plan) {
			b.Logf("relabel %s/%s (%s, %v) %s → %s", p.Namespace, p.Name, p.Spec.NodeName, p.Status.PodIPs,
				c.Pods[j].Labels["app"], p.Labels["app"])
			return after
		}
	}
	b.Fatalf("no relabel of %d peers of %s changes only set elements", min(len(peers), 20), node)
	return c
}

// withNewPeer returns c with one more pod: a copy of the first peer of node's sets, on the same (other) node,
// with addresses no pod of Cluster has (10.255.0.1, fd00::ff00:1).
func withNewPeer(b *testing.B, c build.Cluster, node string, base *nft.Table) build.Cluster {
	b.Helper()
	peers := peersOf(c, node, base)
	if len(peers) == 0 {
		b.Fatalf("no pod of another node is a peer of %s", node)
	}
	p := c.Pods[peers[0]].DeepCopy()
	p.Name, p.UID = "pod-added", ""
	p.Status.PodIPs = []corev1.PodIP{{IP: "10.255.0.1"}, {IP: "fd00::ff00:1"}}
	p.Status.PodIP = p.Status.PodIPs[0].IP
	after := c
	after.Pods = append(slices.Clip(c.Pods), p)
	return after
}

// newIngressPolicy admits app-1 of ns-2 to app-0 of ns-2 on TCP 8000. Cluster's policies in ns-2 are all
// egress-only, and node-0 has app-0 pods of ns-2: they become isolated for ingress.
func newIngressPolicy() *networkingv1.NetworkPolicy {
	tcp, port := corev1.ProtocolTCP, intstr.FromInt32(8000)
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsName(2), Name: "policy-added"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": appName(0)}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": appName(1)}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}},
			}},
		},
	}
}

// onlyElements says p adds or deletes set elements and nothing else.
func onlyElements(p *nft.Plan) bool {
	return !p.CreateTable && len(p.AddChains)+len(p.AddSets)+len(p.WriteChains)+len(p.FlushChains)+
		len(p.DelSets)+len(p.DelChains) == 0
}

func planElements(p *nft.Plan) int {
	n := 0
	for _, s := range p.AddSets {
		n += len(s.Elements)
	}
	for _, m := range []map[string][]nft.Element{p.AddElements, p.DelElements} {
		for _, es := range m {
			n += len(es)
		}
	}
	return n
}

// planShape describes a plan in one line.
func planShape(p *nft.Plan) string {
	return fmt.Sprintf("%d elements (%d sets gain, %d lose), %d new sets, %d new chains, %d chains written, "+
		"%d sets and %d chains deleted", planElements(p), len(p.AddElements), len(p.DelElements), len(p.AddSets),
		len(p.AddChains), len(p.WriteChains), len(p.DelSets), len(p.DelChains))
}

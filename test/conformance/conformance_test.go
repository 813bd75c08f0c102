package conformance

// The runner: every case against real packets (root).
//
// Two fake clusters (test/harness), one per topology (bridge with br_netfilter, routed /32 veths), both
// dual-stack with two nodes, run every case, in parallel (a step waits about one probe timeout for its denied
// probes, so a cluster takes about a second per step and the two together well under CI's three minutes).
// Each cluster's nodes are programmed as the agent programs them: one nft-layer connection per node kept across
// every step of every case, build.Node for that node, compiler.Compile, Sync (the first step adopts what the
// node holds, later ones send the difference). Then every probe of the step runs, in IPv4 and IPv6, all at once;
// a probe that should connect but did not gets one more try (a loaded 2-core machine can miss a handshake), a
// probe that connected where it should not never does. A denied probe is one that does not connect within the
// harness's probe timeout: Deny drops, as upstream requires (a timeout, not a refusal).

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

// probeTimeout bounds every probe; a denied probe costs that much, and every step waits for its slowest probe.
const probeTimeout = time.Second

func TestConformance(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test sends real packets through network namespaces and needs root (CI runs as root)")
	}
	start := time.Now()
	cases := Cases()
	topologies := []harness.Topology{harness.Bridge, harness.Routed}
	var total tally
	var mu sync.Mutex
	t.Run("clusters", func(t *testing.T) {
		for _, topo := range topologies {
			t.Run(string(topo), func(t *testing.T) {
				t.Parallel()
				r := newRunner(t, topo)
				for _, tc := range cases {
					t.Run(tc.Name, func(t *testing.T) { r.runCase(t, tc) })
				}
				t.Logf("%s: %s", topo, r.tally.String(time.Since(r.start)))
				mu.Lock()
				total.add(&r.tally)
				mu.Unlock()
			})
		}
	})
	t.Logf("conformance: %s", total.String(time.Since(start)))
	n := len(topologies)
	if !subtestsFiltered() && (total.cases != n*len(cases) || total.steps != n*128 || total.probes != n*2*397) {
		t.Errorf("ran %d cases, %d steps and %d probes; want %d, %d and %d", total.cases, total.steps, total.probes,
			n*len(cases), n*128, n*2*397)
	}
}

// subtestsFiltered tells whether -run selects some clusters or cases only (then the totals cannot be checked).
func subtestsFiltered() bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), "/")
}

// runner programs and probes one cluster.
type runner struct {
	c     *harness.Cluster
	topo  harness.Topology
	conns map[string]*kernel.Conn
	sctp  map[string]*harness.NodeSCTP // per node
	start time.Time
	tally tally
}

func newRunner(t *testing.T, topo harness.Topology) *runner {
	start := time.Now()
	cfg := harness.Config{Topology: topo, Nodes: nodeNames, IPv4: true, IPv6: true, ProbeTimeout: probeTimeout}
	for _, pod := range podPods() {
		ns, name := splitPod(pod)
		cfg.Pods = append(cfg.Pods, harness.PodSpec{
			Namespace: ns, Name: name, Node: nodeOf(pod), Labels: podLabels(pod), Ports: containerPorts(),
		})
	}
	r := &runner{c: harness.New(t, cfg), topo: topo, start: start,
		conns: map[string]*kernel.Conn{}, sctp: map[string]*harness.NodeSCTP{}}
	t.Cleanup(func() {
		for _, conn := range r.conns {
			conn.Close()
		}
	})
	r.serveNodes(t)
	return r
}

// serveNodes opens the centaurs' servers in every node and checks, before any ruleset is loaded, that each is
// reached from every pod of the other node in both families, so that a probe expected to be denied cannot pass
// for want of a listener.
func (r *runner) serveNodes(t *testing.T) {
	for _, n := range nodeNames {
		for _, port := range nodeServed.tcp {
			if err := r.c.ListenOnNode(n, port); err != nil {
				t.Fatal(err)
			}
		}
		for _, port := range nodeServed.udp {
			if err := r.c.ListenOnNodeUDP(n, port); err != nil {
				t.Fatal(err)
			}
		}
		rx, err := r.c.ListenOnNodeSCTP(n, nodeServed.sctp...)
		if err != nil {
			t.Fatal(err)
		}
		r.sctp[n] = rx
	}
	var probes []Probe
	for _, from := range podPods() {
		to := nodePeerTarget(from)
		for _, port := range nodeServed.tcp {
			probes = append(probes, allow(from, to, TCP, port))
		}
		for _, port := range nodeServed.udp {
			probes = append(probes, allow(from, to, UDP, port))
		}
		for _, port := range nodeServed.sctp {
			probes = append(probes, allow(from, to, SCTP, port))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, res := range r.probeAll(ctx, probes) {
		if !res.got {
			t.Errorf("%s: node server not reached without any ruleset: %s over IPv%d", r.topo, res.p, res.fam)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// runCase runs the steps of tc in order, each a complete state of the cluster.
func (r *runner) runCase(t *testing.T, tc Case) {
	r.tally.cases++
	for i, st := range tc.Steps {
		r.tally.steps++
		where := fmt.Sprintf("%s: step %d %q", r.topo, i, st.Name())
		if err := r.sync(tc, st); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		results := r.probeAll(ctx, st.Probes)
		cancel()
		var wrong []string
		for _, res := range results {
			r.tally.count(res.p, res.got == res.p.Allowed)
			if res.got != res.p.Allowed {
				wrong = append(wrong, fmt.Sprintf("  %s over IPv%d: %s", res.p, res.fam, verdictWord(res.got)))
			}
		}
		if len(wrong) > 0 {
			t.Errorf("%s: %d probes differ from upstream's expectations:\n%s\n%s",
				where, len(wrong), strings.Join(wrong, "\n"), r.rulesets())
		}
	}
}

// sync programs every node with the IR of the step, through its kept nft-layer connection.
func (r *runner) sync(tc Case, st Step) error {
	objs, err := clusterFor(tc, st, harnessAddresses{r.c})
	if err != nil {
		return fmt.Errorf("objects: %w", err)
	}
	for _, node := range nodeNames {
		n, err := build.Node(objs, node)
		if err != nil {
			return fmt.Errorf("build %s: %w", node, err)
		}
		conn, ok := r.conns[node]
		if !ok {
			if conn, err = kernel.Open(r.c.NodeNetnsPath(node)); err != nil {
				return fmt.Errorf("open nft layer of %s: %w", node, err)
			}
			r.conns[node] = conn
		}
		if _, err := conn.Sync(compiler.Compile(n)); err != nil {
			return fmt.Errorf("sync %s: %w", node, err)
		}
	}
	return nil
}

// result is one probe in one family and whether it connected.
type result struct {
	p   Probe
	fam int
	got bool
}

// probeAll runs every probe in both families at once; those that should connect but did not are tried again once.
func (r *runner) probeAll(ctx context.Context, probes []Probe) []result {
	var out []result
	for _, p := range probes {
		for _, fam := range []int{4, 6} {
			out = append(out, result{p: p, fam: fam})
		}
	}
	run := func(idx []int) {
		var wg sync.WaitGroup
		for _, i := range idx {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out[i].got = r.probe(ctx, out[i].p, out[i].fam)
			}()
		}
		wg.Wait()
	}
	all := make([]int, len(out))
	for i := range all {
		all[i] = i
	}
	run(all)
	var again []int
	for i, res := range out {
		if !res.got && res.p.Allowed {
			again = append(again, i)
		}
	}
	run(again)
	return out
}

// probe makes one connection attempt: to a pod's address, or for a centaur to its node's address, where the
// node's own listeners serve.
func (r *runner) probe(ctx context.Context, p Probe, fam int) bool {
	if !isCentaur(p.To) {
		pr := harness.Probe{From: p.From, To: p.To, Protocol: p.Protocol, Port: p.Port, Family: fam}
		return r.c.Run(ctx, []harness.Probe{pr})[0]
	}
	if p.Protocol == SCTP {
		return r.c.ProbeNodeSCTP(ctx, p.From, r.sctp[nodeOf(p.To)], p.Port, fam)
	}
	dst := netip.AddrPortFrom(targetIP(harnessAddresses{r.c}, p.To, fam), uint16(p.Port))
	return r.c.ProbeAddr(ctx, p.From, dst, p.Protocol, "")
}

func (r *runner) rulesets() string {
	var b strings.Builder
	for _, n := range nodeNames {
		text, err := r.c.ListRuleset(n)
		if err != nil {
			text = err.Error()
		}
		fmt.Fprintf(&b, "--- ruleset of %s ---\n%s\n", n, text)
	}
	return b.String()
}

// harnessAddresses are the cluster's addresses.
type harnessAddresses struct{ c *harness.Cluster }

func (h harnessAddresses) PodIPs(pod string) []netip.Addr {
	ns, name := splitPod(pod)
	var out []netip.Addr
	for _, fam := range []int{4, 6} {
		if ip, ok := h.c.PodIP(ns, name, fam); ok {
			out = append(out, ip)
		}
	}
	return out
}

func (h harnessAddresses) NodeIPs(node string) []netip.Addr { return h.c.NodeIPs(node) }

// tally counts what a run did, for the summary line.
type tally struct {
	cases, steps, probes, allowed, denied, wrong int
	byProto                                      map[corev1.Protocol]int
}

func (t *tally) count(p Probe, right bool) {
	if t.byProto == nil {
		t.byProto = map[corev1.Protocol]int{}
	}
	t.probes++
	t.byProto[p.Protocol]++
	if p.Allowed {
		t.allowed++
	} else {
		t.denied++
	}
	if !right {
		t.wrong++
	}
}

func (t *tally) add(o *tally) {
	t.cases += o.cases
	t.steps += o.steps
	t.probes += o.probes
	t.allowed += o.allowed
	t.denied += o.denied
	t.wrong += o.wrong
	if t.byProto == nil {
		t.byProto = map[corev1.Protocol]int{}
	}
	for k, n := range o.byProto {
		t.byProto[k] += n
	}
}

func (t *tally) String(d time.Duration) string {
	protos := make([]string, 0, len(t.byProto))
	for _, p := range []corev1.Protocol{TCP, UDP, SCTP} {
		protos = append(protos, fmt.Sprintf("%s %d", strings.ToLower(string(p)), t.byProto[p]))
	}
	return fmt.Sprintf("%d cases, %d steps, %d probes (IPv4 and IPv6: %d expected allowed, %d expected denied; %s), "+
		"wrong = %d, in %v", t.cases, t.steps, t.probes, t.allowed, t.denied, strings.Join(protos, ", "), t.wrong,
		d.Round(100*time.Millisecond))
}

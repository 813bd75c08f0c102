package e2e

// The runner: the cases of this package (upstream's NetworkPolicy suite and our extras) against real packets.
//
// One fake cluster per topology (bridge with br_netfilter, routed /32 veths), dual-stack, two nodes; the nine
// pods x/a … z/c alternate between the nodes so that every case mixes same-node and cross-node traffic, plus
// one Pending pod without an IP that every `podSelector: {}` selects and that must contribute nothing.
// Each case runs twice per family, and every step of each run must give exactly the expected truth table:
//   1. through the nft layer, one connection per node kept across the steps as the agent keeps it: the first
//      step adopts whatever the node holds (the previous case's table, loaded by nft -f), later steps diff
//      against the connection's memory and send only the difference;
//   2. from scratch, each step: `nft -f` of `kubectl nftpolicy render --node N` fed the same objects as YAML.

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/test/harness"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test sends real packets through network namespaces and needs root (CI runs as root)")
	}
}

func newCluster(t *testing.T, topo harness.Topology) *harness.Cluster {
	cfg := harness.Config{Topology: topo, Nodes: nodes, IPv4: true, IPv6: true, ProbeTimeout: time.Second}
	for _, key := range AllPods() {
		ns, name := splitPod(key)
		cfg.Pods = append(cfg.Pods, harness.PodSpec{
			Namespace: ns, Name: name, Node: nodeOf(key),
			Labels: DefaultPodLabels(ns, name), Ports: DefaultContainerPorts(),
		})
	}
	cfg.Pods = append(cfg.Pods, harness.PodSpec{
		Namespace: "x", Name: "pending", Node: nodes[0], NoIP: true,
		Labels: map[string]string{"pod": "pending"}, Ports: DefaultContainerPorts(),
	})
	return harness.New(t, cfg)
}

func TestUpstreamSuite(t *testing.T) { runCases(t, UpstreamCases()) }

func TestExtraCases(t *testing.T) { runCases(t, ExtraCases()) }

func runCases(t *testing.T, cases []Case) {
	requireRoot(t)
	for _, topo := range []harness.Topology{harness.Bridge, harness.Routed} {
		t.Run(string(topo), func(t *testing.T) {
			t.Parallel()
			c := newCluster(t, topo)
			r := newRunner(t, c)
			for _, tc := range cases {
				families := tc.Families
				if families == nil {
					families = []int{4, 6}
				}
				for _, fam := range families {
					t.Run(fmt.Sprintf("%s/ipv%d", tc.Name, fam), func(t *testing.T) {
						e := env{c, fam}
						for i, st := range tc.Steps {
							r.syncStep(t, tc, i, st, e)
						}
						for i, st := range tc.Steps {
							r.renderStep(t, tc, i, st, e)
						}
					})
				}
			}
		})
	}
}

// env implements Env over the harness cluster.
type env struct {
	c   *harness.Cluster
	fam int
}

func (e env) Family() int { return e.fam }

func (e env) PodIP(ns, pod string) netip.Addr {
	ip, ok := e.c.PodIP(ns, pod, e.fam)
	if !ok {
		panic(fmt.Sprintf("pod %s/%s has no IPv%d address", ns, pod, e.fam))
	}
	return ip
}

// objects returns the cluster's objects as the API server would hold them during step st.
func objects(c *harness.Cluster, tc Case, st Step, e Env) (ns []*corev1.Namespace, pods []*corev1.Pod, pols []*networkingv1.NetworkPolicy) {
	for _, name := range Namespaces() {
		labels := DefaultNamespaceLabels(name)
		if l, ok := st.NamespaceLabels[name]; ok {
			labels = l
		}
		ns = append(ns, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: withMetadataName(name, labels)},
		})
	}
	for _, p := range c.Pods() {
		p = p.DeepCopy()
		p.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		key := p.Namespace + "/" + p.Name
		if l, ok := st.PodLabels[key]; ok {
			p.Labels = l
		}
		if ports, ok := tc.ContainerPorts[key]; ok {
			p.Spec.Containers[0].Ports = ports
		}
		pods = append(pods, p)
	}
	if st.Policies != nil {
		for _, p := range st.Policies(e) {
			p = p.DeepCopy()
			p.TypeMeta = metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}
			pols = append(pols, p)
		}
	}
	return ns, pods, pols
}

// check probes everything step st expects and reports mismatches; how says which loader programmed the nodes.
func (r *runner) check(t *testing.T, st Step, e env, how string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pods := AllPods()
	for _, pe := range st.Probes {
		var probes []harness.Probe
		for _, from := range pods {
			for _, to := range pods {
				probes = append(probes, harness.Probe{From: from, To: to, Protocol: pe.Protocol, Port: pe.Port, Family: e.fam})
			}
		}
		got := r.c.Run(ctx, probes)
		observed := map[[2]string]bool{}
		for i, p := range probes {
			observed[[2]string{p.From, p.To}] = got[i]
		}
		// A probe that should connect but did not is tried once more: on a loaded 2-core machine a
		// handshake can miss its timeout. A probe that connected where it should not is never retried.
		var again []harness.Probe
		for i, p := range probes {
			if !got[i] && pe.Expect.Allowed(p.From, p.To) {
				again = append(again, p)
			}
		}
		if len(again) > 0 {
			for i, ok := range r.c.Run(ctx, again) {
				if ok {
					t.Logf("%s: %s connected on the second try", how, again[i])
					observed[[2]string{again[i].From, again[i].To}] = true
				}
			}
		}
		obs := func(from, to string) bool { return observed[[2]string{from, to}] }
		if bad := pe.Expect.Diff(obs); len(bad) > 0 {
			t.Errorf("%s: %s/%d over IPv%d: %d probes differ from the truth table (* = mismatch):\n%s\n%s\n%s",
				how, pe.Protocol, pe.Port, e.fam, len(bad), pe.Expect.Table(obs), strings.Join(bad, "\n"), r.rulesets())
		}
	}
	for _, np := range st.NodeProbes {
		got := r.c.ProbeFromNode(ctx, nodeOf(np.To), np.To, np.Protocol, np.Port, e.fam)
		if got != np.Expect {
			t.Errorf("%s: node %s -> %s %s/%d over IPv%d: connected=%v, want %v", how, nodeOf(np.To), np.To,
				np.Protocol, np.Port, e.fam, got, np.Expect)
		}
	}
}

func (r *runner) rulesets() string {
	var b strings.Builder
	for _, n := range nodes {
		text, err := r.c.ListRuleset(n)
		if err != nil {
			text = err.Error()
		}
		fmt.Fprintf(&b, "--- ruleset of %s ---\n%s\n", n, text)
	}
	return b.String()
}

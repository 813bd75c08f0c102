package e2e

// `kubectl nftpolicy explain` against real packets: a small cluster of two nodes (bridge topology, dual-stack)
// with a named port that resolves differently per pod, an ipBlock with an except and egress isolation. Each node is
// loaded with `render --node` and `nft -f`; then, for every ordered pair of pods, every container port of the
// destination and both families, explain's verdict (offline, on the objects as YAML) must be what a probe through
// the kernel sees. `diff` on each node's listing must find no drift.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/nftpolicy/nftpolicy/internal/plugin"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

func explainPods() []harness.PodSpec {
	tcp := func(name string, port int32) corev1.ContainerPort {
		return corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: corev1.ProtocolTCP}
	}
	return []harness.PodSpec{
		{Namespace: "app", Name: "web", Node: "node-a", Labels: map[string]string{"app": "web"},
			Ports: []corev1.ContainerPort{tcp("http", 80), tcp("metrics", 9090)}},
		{Namespace: "app", Name: "api", Node: "node-b", Labels: map[string]string{"app": "api"},
			Ports: []corev1.ContainerPort{tcp("http", 8080), {Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP}}},
		{Namespace: "app", Name: "db", Node: "node-a", Labels: map[string]string{"app": "db"},
			Ports: []corev1.ContainerPort{tcp("", 5432)}},
		{Namespace: "ext", Name: "client", Node: "node-b", Labels: map[string]string{"app": "client"},
			Ports: []corev1.ContainerPort{tcp("", 7000)}},
		{Namespace: "ext", Name: "other", Node: "node-a", Labels: map[string]string{"app": "other"},
			Ports: []corev1.ContainerPort{tcp("http", 80)}},
	}
}

func explainPolicies() []*networkingv1.NetworkPolicy {
	pol := func(ns, name string, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	}
	sel := func(app string) *metav1.LabelSelector {
		return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
	}
	port := func(p intstr.IntOrString) []networkingv1.NetworkPolicyPort {
		return []networkingv1.NetworkPolicyPort{{Port: &p}}
	}
	return []*networkingv1.NetworkPolicy{
		// Every app pod: ingress from anywhere in the cluster on the port named http (80 on web, 8080 on api,
		// none on db).
		pol("app", "allow-http", networkingv1.NetworkPolicySpec{
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
				Ports: port(intstr.FromString("http")),
			}},
		}),
		pol("app", "db-from-api", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("db"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: sel("api")}},
				Ports: port(intstr.FromInt32(5432)),
			}},
		}),
		// api may only reach db on 5432, and node-b's pod range (10.244.1.0/24, so not node-a's pods) on any port.
		pol("app", "api-egress", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("api"),
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: []networkingv1.NetworkPolicyPeer{{PodSelector: sel("db")}}, Ports: port(intstr.FromInt32(5432))},
				{To: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.244.0.0/16", Except: []string{"10.244.0.0/24"}}}}},
			},
		}),
		// other: ingress from node-a's pod range only (IPv4; no IPv6 peer at all).
		pol("ext", "other-from-node-a", networkingv1.NetworkPolicySpec{
			PodSelector: *sel("other"),
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.244.0.0/16", Except: []string{"10.244.1.0/24"}}}},
			}},
		}),
	}
}

func TestExplainAgreesWithPackets(t *testing.T) {
	requireRoot(t)
	specs := explainPods()
	c := harness.New(t, harness.Config{Topology: harness.Bridge, Nodes: nodes, IPv4: true, IPv6: true, Pods: specs,
		ProbeTimeout: time.Second})
	var nss []*corev1.Namespace
	for _, ns := range []string{"app", "ext"} {
		nss = append(nss, &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{"kubernetes.io/metadata.name": ns}}})
	}
	file := writeManifest(t, nss, c.Pods(), explainPolicies())

	for _, node := range nodes {
		out := runPlugin(t, 0, "render", "-f", file, "--node", node)
		if err := c.LoadNft(node, out); err != nil {
			t.Fatal(err)
		}
		listed, err := c.ListRuleset(node)
		if err != nil {
			t.Fatal(err)
		}
		if report := runPluginIn(t, listed, 0, "diff", "-f", file, "--node", node, "--ruleset", "-"); !strings.HasPrefix(report, "no drift: ") {
			t.Errorf("diff on %s: %s", node, report)
		}
	}

	type check struct {
		probe   harness.Probe
		port    string // as given to explain
		explain string // its verdict
	}
	var checks []check
	for i, from := range specs {
		for j, to := range specs {
			if i == j {
				continue
			}
			for _, cp := range to.Ports {
				port := fmt.Sprintf("%d/%s", cp.ContainerPort, cp.Protocol)
				if cp.Name != "" {
					port = cp.Name // resolved on the destination by explain
				}
				for _, fam := range []int{4, 6} {
					pr := harness.Probe{From: from.Namespace + "/" + from.Name, To: to.Namespace + "/" + to.Name,
						Protocol: cp.Protocol, Port: cp.ContainerPort, Family: fam}
					var e struct{ Verdict string }
					out := runPlugin(t, 0, "explain", "-f", file, "--from", pr.From, "--to", pr.To, "--port", port,
						"--family", fmt.Sprint(fam), "-o", "json")
					if err := json.Unmarshal([]byte(out), &e); err != nil || (e.Verdict != "allow" && e.Verdict != "deny") {
						t.Fatalf("explain %v: %q, %v", pr, out, err)
					}
					checks = append(checks, check{pr, port, e.Verdict})
				}
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	probes := make([]harness.Probe, len(checks))
	for i, ck := range checks {
		probes[i] = ck.probe
	}
	got := c.Run(ctx, probes)
	allowed := 0
	for i, ck := range checks {
		if !got[i] && ck.explain == "allow" { // a handshake may miss its timeout on a loaded machine: once more
			got[i] = c.Run(ctx, []harness.Probe{ck.probe})[0]
		}
		if got[i] {
			allowed++
		}
		if (ck.explain == "allow") != got[i] {
			t.Errorf("%s (explain --port %s): explain says %s, the probe %s", ck.probe, ck.port, ck.explain,
				map[bool]string{true: "connected", false: "was blocked"}[got[i]])
		}
	}
	t.Logf("%d probes, %d allowed, %d denied", len(checks), allowed, len(checks)-allowed)
	if allowed == 0 || allowed == len(checks) {
		t.Errorf("every probe got the same verdict: the policies test nothing")
	}
}

// runPlugin runs kubectl nftpolicy with args and returns stdout, failing unless it exits with code.
func runPlugin(t *testing.T, code int, args ...string) string {
	t.Helper()
	return runPluginIn(t, "", code, args...)
}

func runPluginIn(t *testing.T, stdin string, code int, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if got := plugin.Main(args, plugin.Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut}); got != code {
		t.Fatalf("kubectl nftpolicy %s: exit %d (want %d): %s%s", strings.Join(args, " "), got, code, errOut.String(), out.String())
	}
	return out.String()
}

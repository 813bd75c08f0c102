package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

const (
	fixtureCluster = "testdata/cluster.yaml"
	dryRunDir      = "testdata/dryrun/"
	// cnpExample is the ClusterNetworkPolicy example: its workloads, and its cluster policies on top.
	cnpExample = "../../examples/clusternetworkpolicy"
)

// TestGoldenDryRun runs dry-run offline on testdata/cluster.yaml with the changes of testdata/dryrun and compares
// stdout with testdata/golden/<name>.txt (-update rewrites them, as for TestGolden).
func TestGoldenDryRun(t *testing.T) {
	dr := func(args ...string) []string {
		return append([]string{"dry-run", "--state", fixtureCluster}, args...)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		// A new namespace-wide default-deny: beta's pods lose the ingress they had.
		{"dryrun-deny-beta", dr("-f", dryRunDir+"deny-beta-ingress.yaml")},
		// A changed policy (a rule added), a new egress policy and a deletion in one go.
		{"dryrun-change-delete", dr("-f", dryRunDir+"db-from-api-and-beta.yaml", "-f", dryRunDir+"api-egress.yaml",
			"--delete", "gamma/from-outside")},
		{"dryrun-limit", dr("--delete", "gamma/from-outside", "--limit", "1")},
		{"dryrun-json", dr("-f", dryRunDir+"deny-beta-ingress.yaml", "-f", dryRunDir+"db-from-api-and-beta.yaml", "-o", "json")},
		// alpha's pods stay isolated by its other policies: no verdict changes, but their chain does.
		{"dryrun-yaml-no-verdict-change", dr("--delete", "alpha/default-deny-ingress", "-o", "yaml")},
		// The same spec as in the cluster: nothing changes.
		{"dryrun-unchanged", dr("-f", dryRunDir+"db-from-api-unchanged.yaml")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := Main(tc.args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			checkGolden(t, tc.name, out.String())
		})
	}
}

// probeID names one probe of the matrix.
type probeID struct{ from, to, fromIP, toIP, proto string }

// TestDryRunDefaultDenyFlipsExactly: a default-deny for ingress added to beta makes exactly the probes to beta's
// pods that the matrix allowed before lose access — nothing else changes, nothing gains — each group names the
// new policy, and the counts add up.
func TestDryRunDefaultDenyFlipsExactly(t *testing.T) {
	var mout, errOut bytes.Buffer
	if code := Main([]string{"matrix", "-f", fixtureCluster, "-o", "json"}, Streams{In: strings.NewReader(""), Out: &mout, Err: &errOut}); code != 0 {
		t.Fatalf("matrix: %s", errOut.String())
	}
	want := map[probeID]bool{}
	dec := json.NewDecoder(&mout)
	for dec.More() {
		var c cell
		if err := dec.Decode(&c); err != nil {
			t.Fatal(err)
		}
		if c.Verdict == "allow" && strings.HasPrefix(c.To, "beta/") {
			want[probeID{c.From, c.To, c.FromIP, c.ToIP, fmt.Sprintf("%s/%d", c.Protocol, c.Port)}] = true
		}
	}
	if len(want) < 10 {
		t.Fatalf("fixture: only %d allowed probes into beta", len(want))
	}

	rep := dryRunJSON(t, "--state", fixtureCluster, "-f", dryRunDir+"deny-beta-ingress.yaml")
	if len(rep.Connectivity.Gained) != 0 || rep.Connectivity.GainedProbes != 0 {
		t.Errorf("gained: %+v; want none", rep.Connectivity.Gained)
	}
	got := map[probeID]bool{}
	count := 0
	for _, g := range rep.Connectivity.Lost {
		count += g.Count
		if g.Side != "ingress" || !strings.HasPrefix(g.Pod, "beta/") || len(g.Causes) != 1 ||
			!slices.Equal(g.Causes[0].IsolatedBy, []string{"beta/default-deny-ingress"}) {
			t.Errorf("group %q: side %s, causes %+v; want the ingress of a beta pod, isolated by beta/default-deny-ingress only",
				g.Summary, g.Side, g.Causes)
		}
		if len(g.Probes) != g.Count {
			t.Errorf("group %q: count %d, %d probes", g.Summary, g.Count, len(g.Probes))
		}
		for _, p := range g.Probes {
			id := probeID{p.From, p.To, p.FromIP, p.ToIP, fmt.Sprintf("%s/%d", p.Protocol, p.Port)}
			if got[id] {
				t.Errorf("probe %v listed twice", id)
			}
			got[id] = true
		}
	}
	if count != rep.Connectivity.LostProbes || count != len(want) {
		t.Errorf("lost: %d probes in the groups, lostProbes %d; want %d", count, rep.Connectivity.LostProbes, len(want))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("missing lost probe %v", id)
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("unexpected lost probe %v", id)
		}
	}
	if len(rep.Nodes) != 1 || rep.Nodes[0].Node != unscheduled || len(rep.Nodes[0].Chains.Added) != 1 {
		t.Errorf("nodes: %+v; want (unscheduled) with one chain added", rep.Nodes)
	}
}

// dryRunReportJSON is DryRunReport as -o json writes it (probes included).
type dryRunReportJSON struct {
	Connectivity struct {
		LostProbes, GainedProbes int
		Lost, Gained             []struct {
			Summary, Side, Pod, Port string
			Causes                   []cause
			Count                    int
			Probes                   []probeJSON
		}
	}
	Nodes []NodeDiff
}

func dryRunJSON(t *testing.T, args ...string) dryRunReportJSON {
	t.Helper()
	var out, errOut bytes.Buffer
	if code := Main(append(append([]string{"dry-run"}, args...), "-o", "json"), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != 0 {
		t.Fatalf("dry-run %v: exit %d: %s", args, code, errOut.String())
	}
	var rep dryRunReportJSON
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestDryRunSmartEqualsFull: evaluating only the probes of affected pods and compiling only their nodes gives
// the same report as evaluating every probe and compiling every node — for every change of testdata/dryrun,
// every deletion, and combinations, on the fixture as it is and on a variant with nodes, dual-stack pods and a
// shared address.
func TestDryRunSmartEqualsFull(t *testing.T) {
	objs, err := manifest.Load([]string{fixtureCluster}, nil)
	if err != nil {
		t.Fatal(err)
	}
	plain := objs.Cluster()
	files, err := filepath.Glob(dryRunDir + "*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("%v: %v", files, err)
	}
	var apply []*networkingv1.NetworkPolicy
	for _, f := range files {
		changes, err := manifest.Load([]string{f}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range changes.Policies {
			if build.Validate(p) == nil && !slices.ContainsFunc(apply, func(q *networkingv1.NetworkPolicy) bool {
				return q.Namespace == p.Namespace && q.Name == p.Name
			}) {
				apply = append(apply, p)
			}
		}
	}
	apply = append(apply, ipv4OnlyToBetaDB())

	// The variant: nodes, a second family for some pods, and two pods sharing an address.
	varied := plain
	varied.Pods = nil
	nodes := map[string]string{"alpha": "node-a", "beta": "node-b"}
	for i, p := range plain.Pods {
		cp := p.DeepCopy()
		cp.Spec.NodeName = nodes[p.Namespace]
		if p.Namespace == "gamma" && p.Name == "web" {
			cp.Spec.NodeName = "node-a"
		}
		if i%4 != 2 { // all dual-stack but alpha/db and gamma/web
			cp.Status.PodIPs = append(cp.Status.PodIPs, corev1.PodIP{IP: fmt.Sprintf("fd00::%d", i+1)})
		}
		varied.Pods = append(varied.Pods, cp)
	}
	dup := varied.Pods[0].DeepCopy()
	// alpha/web's twin: its addresses, another namespace and other labels, so other groups.
	dup.Namespace, dup.Name, dup.Labels, dup.Spec.NodeName = "beta", "twin", map[string]string{"app": "twin"}, "node-c"
	varied.Pods = append(varied.Pods, dup)

	var cases []Change
	for _, p := range apply {
		cases = append(cases, Change{Apply: []*networkingv1.NetworkPolicy{p}})
	}
	for _, p := range plain.Policies {
		cases = append(cases, Change{Delete: []ir.PolicyRef{{Namespace: p.Namespace, Name: p.Name}}})
	}
	cases = append(cases, Change{Apply: apply}, Change{Apply: apply[:2], Delete: []ir.PolicyRef{{Namespace: "gamma", Name: "from-outside"}}})
	for name, c := range map[string]build.Cluster{"plain": plain, "varied": varied} {
		changedSome := false
		for i, ch := range cases {
			smart, err := dryRun(c, ch, false)
			if err != nil {
				t.Fatalf("%s case %d: %v", name, i, err)
			}
			full, err := dryRun(c, ch, true)
			if err != nil {
				t.Fatalf("%s case %d: %v", name, i, err)
			}
			a, _ := json.MarshalIndent(smart, "", " ")
			b, _ := json.MarshalIndent(full, "", " ")
			if !bytes.Equal(a, b) {
				t.Errorf("%s case %d: smart and full differ:\nsmart: %s\nfull: %s", name, i, a, b)
			}
			changedSome = changedSome || full.Connectivity.LostProbes+full.Connectivity.GainedProbes > 0
		}
		if !changedSome {
			t.Errorf("%s: no case changed any verdict", name)
		}
	}
	// The variant shows what the plain fixture cannot: an unchanged node counted, an IPv4-only change.
	rep, err := dryRun(varied, Change{Apply: []*networkingv1.NetworkPolicy{ipv4OnlyToBetaDB()}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Nodes) != 1 || rep.Nodes[0].Node != "node-b" || rep.UnchangedNodes != 3 {
		t.Errorf("nodes %+v, %d unchanged; want node-b only, 3 unchanged (node-a, node-c, (unscheduled))", rep.Nodes, rep.UnchangedNodes)
	}
	fams := map[string]bool{}
	for _, g := range slices.Concat(rep.Connectivity.Lost, rep.Connectivity.Gained) {
		fams[g.Family] = true
	}
	if !fams["IPv6"] {
		t.Errorf("no IPv6-only group in %+v", rep.Connectivity)
	}
}

// ipv4OnlyToBetaDB isolates beta/db for ingress and admits only the IPv4 pod range: its dual-stack peers lose
// IPv6 access only.
func ipv4OnlyToBetaDB() *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "beta", Name: "db-v4"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "db"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "10.10.0.0/16"}}},
			}},
		},
	}
}

// TestDryRunBadInput: one line on stderr naming what is wrong, exit 1, nothing on stdout.
func TestDryRunBadInput(t *testing.T) {
	dir := t.TempDir()
	pod := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(pod, []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	same := filepath.Join(dir, "same.yaml")
	if err := os.WriteFile(same, []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: from-outside, namespace: gamma}\nspec: {podSelector: {}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dr := func(args ...string) []string {
		return append([]string{"dry-run", "--state", fixtureCluster}, args...)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{dr("-f", dryRunDir+"nope.yaml"), "testdata/dryrun/nope.yaml: no such file or directory"},
		{dr("-f", dryRunDir+"invalid.yaml"), `testdata/dryrun/invalid.yaml: document 1: NetworkPolicy beta/bad-cidr: spec.ingress[0].from[0].ipBlock.cidr`},
		{dr("--delete", "beta/nope"), "--delete beta/nope: no NetworkPolicy beta/nope in testdata/cluster.yaml"},
		{dr("--delete", "beta"), `--delete "beta": want namespace/name of a NetworkPolicy or cnp/name of a ClusterNetworkPolicy`},
		{dr("-f", dryRunDir+"api-egress.yaml", "--validate=server"), "--validate=server sends the objects to the API server: it needs the live cluster"},
		{[]string{"dry-run", "--offline", "-f", dryRunDir + "api-egress.yaml", "--validate=server"}, "--validate=server"},
		{[]string{"dry-run", "--offline", "-f", dryRunDir + "api-egress.yaml"}, "--offline needs --state FILE|DIR"},
		{dr(), "nothing to try: give the policies to apply with -f FILE|DIR, or --delete NS/NAME"},
		{dr("-f", pod), pod + ": document 1: Pod x/p: dry-run -f takes NetworkPolicies and ClusterNetworkPolicies only"},
		{dr("-f", same, "--delete", "gamma/from-outside"), same + ": document 1: NetworkPolicy gamma/from-outside: given with -f and with --delete"},
		{dr("-f", dryRunDir+"api-egress.yaml", "-o", "wide"), "want table, json or yaml"},
		{dr("-f", dryRunDir+"api-egress.yaml", "--validate", "strict"), "--validate: want client or server"},
		{dr("-f", dryRunDir+"api-egress.yaml", "--limit", "-1"), "--limit"},
		{[]string{"dry-run", "--state", "-", "-f", "-"}, "cannot both read stdin"},
		{[]string{"dry-run", "--state", dryRunDir + "nope", "-f", dryRunDir + "api-egress.yaml"}, "testdata/dryrun/nope: no such file"},
		{dr("-f", dryRunDir+"api-egress.yaml", "stray"), `unexpected argument "stray"`},
		{dr("--delete", "cnp/nope"), "--delete cnp/nope: no ClusterNetworkPolicy nope in testdata/cluster.yaml"},
		{dr("--delete", "cnp/No_Such"), `--delete "cnp/No_Such": invalid ClusterNetworkPolicy name "No_Such"`},
		{dr("--delete", "networkpolicy/beta/x/y"), `--delete "networkpolicy/beta/x/y": want namespace/name`},
		{dr("--delete", "networkpolicy/beta/nope"), "--delete beta/nope: no NetworkPolicy beta/nope"},
		{dr("-f", "testdata/cnp/bad-range.yaml"), "testdata/cnp/bad-range.yaml: document 1: ClusterNetworkPolicy bad-range: " +
			"spec.ingress[0].protocols[1].udp.destinationPort.range: start 53 must be less than end 53"},
		{[]string{"dry-run", "--state", cnpExample, "-f", "testdata/cnp/delegate-changed.yaml", "--delete", "cnp/delegate-dev-http"},
			"testdata/cnp/delegate-changed.yaml: document 1: ClusterNetworkPolicy delegate-dev-http: given with -f and with --delete"},
		{[]string{"dry-run", "--state", cnpExample, "--delete", "cnp/default-deny", "--delete", "prod/default-deny"},
			"--delete prod/default-deny: no NetworkPolicy prod/default-deny in " + cnpExample},
	} {
		var out, errOut bytes.Buffer
		code := Main(tc.args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		msg := strings.TrimSpace(errOut.String())
		if code != 1 || out.Len() != 0 || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "error: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1, one line with %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}

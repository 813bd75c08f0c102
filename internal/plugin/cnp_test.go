package plugin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// TestGoldenClusterPolicies runs the subcommands on examples/clusternetworkpolicy (-update rewrites the goldens,
// as for TestGolden).
func TestGoldenClusterPolicies(t *testing.T) {
	workloads := filepath.Join(cnpExample, "workloads.yaml")
	policies := filepath.Join(cnpExample, "clusternetworkpolicies.yaml")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"matrix-cnp", []string{"matrix", "-f", cnpExample}},
		{"matrix-cnp-json", []string{"matrix", "-f", cnpExample, "-o", "json", "--ns", "dev", "--ns", "prod"}},
		{"render-cnp", []string{"render", "-f", cnpExample}},
		// A nodes peer: the InternalIP and ExternalIP of the selected node.
		{"render-cnp-nodes", []string{"render", "-f", cnpExample, "-f", "testdata/cnp/nodes.yaml"}},
		// The administrator's three policies, applied to the workloads alone.
		{"dryrun-cnp-apply", []string{"dry-run", "--state", workloads, "-f", policies}},
		// Without the Pass, the Admin Deny decides dev → prod/web on port 80 too.
		{"dryrun-cnp-delete-pass", []string{"dry-run", "--state", cnpExample, "--delete", "cnp/delegate-dev-http", "-o", "yaml"}},
		// Without the Baseline, nothing isolates dev and monitoring any more.
		{"dryrun-cnp-delete-baseline", []string{"dry-run", "--state", cnpExample, "--delete", "cnp/default-deny", "--limit", "2"}},
		// The Pass widened to 9090: prod/web-ingress admits dev there, so dev/app gains it.
		{"dryrun-cnp-update", []string{"dry-run", "--state", cnpExample, "-f", "testdata/cnp/delegate-changed.yaml"}},
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

// TestMatrixClusterPolicyExample checks every probe of the example against the table in the comment of
// examples/clusternetworkpolicy/clusternetworkpolicies.yaml, written from the API's semantics: the example says
// what it does, and the evaluator agrees.
func TestMatrixClusterPolicyExample(t *testing.T) {
	const app, prom, db, web = "dev/app", "monitoring/prometheus", "prod/db", "prod/web"
	allowed := map[string]bool{
		app + ">" + web + " 80":    true, // Admin Pass, then prod/web-ingress admits dev
		prom + ">" + web + " 9090": true, // prod/web-ingress: monitoring on "metrics"
		web + ">" + db + " 5432":   true, // prod/db-from-web
		// Everything else is denied: dev → prod/web 9090 and prod/db by the Admin Deny, the rest of prod by its
		// NetworkPolicies, dev/app and monitoring/prometheus by the Baseline default-deny.
	}
	for _, tc := range []struct {
		name  string
		files []string
		// also are the probes allowed besides those of allowed; with policies, exactly those.
		also []string
	}{
		{"with the cluster policies", []string{cnpExample}, nil},
		// The workloads alone: dev and monitoring are open, and prod/web-ingress admits dev on every port.
		{"workloads only", []string{filepath.Join(cnpExample, "workloads.yaml")}, []string{
			app + ">" + web + " 9090", app + ">" + prom + " 9090", prom + ">" + app + " 80", db + ">" + app + " 80",
			db + ">" + prom + " 9090", web + ">" + app + " 80", web + ">" + prom + " 9090"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := map[string]bool{}
			for k := range allowed {
				want[k] = true
			}
			for _, k := range tc.also {
				want[k] = true
			}
			args := []string{"matrix", "-o", "json"}
			for _, f := range tc.files {
				args = append(args, "-f", f)
			}
			var out, errOut bytes.Buffer
			if code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != 0 {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			n := 0
			for dec := json.NewDecoder(&out); dec.More(); n++ {
				var c cell
				if err := dec.Decode(&c); err != nil {
					t.Fatal(err)
				}
				k := fmt.Sprintf("%s>%s %d", c.From, c.To, c.Port)
				if got := c.Verdict == "allow"; got != want[k] {
					t.Errorf("%s: %s, want %s", k, c.Verdict, verdictWord(want[k]))
				}
			}
			if n != 15 {
				t.Errorf("%d probes, want 15 (4 pods, 5 ports)", n)
			}
		})
	}
}

// TestDryRunClusterSmartEqualsFull: for ClusterNetworkPolicy changes too, evaluating only the probes of affected
// pods and compiling only their nodes gives the same report as evaluating and compiling everything.
func TestDryRunClusterSmartEqualsFull(t *testing.T) {
	objs, err := manifest.Load([]string{cnpExample}, nil)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := manifest.Load([]string{"testdata/cnp/delegate-changed.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := objs.Cluster()
	// Spread the pods over two nodes, so that a change can leave a node alone.
	for i, p := range c.Pods {
		p = p.DeepCopy()
		p.Spec.NodeName = map[string]string{"prod": "node-a", "dev": "node-b", "monitoring": "node-b"}[p.Namespace]
		c.Pods[i] = p
	}
	var cases []Change
	for _, p := range c.ClusterPolicies {
		cases = append(cases, Change{DeleteCluster: []string{p.Name}})
		w := p.DeepCopy()
		w.Name = "copy-of-" + p.Name
		w.Spec.Priority++
		cases = append(cases, Change{ApplyCluster: []*cnpv1beta1.ClusterNetworkPolicy{w}})
	}
	for _, p := range c.Policies {
		cases = append(cases, Change{Delete: []ir.PolicyRef{{Namespace: p.Namespace, Name: p.Name}}})
	}
	cases = append(cases, Change{ApplyCluster: changed.ClusterPolicies},
		Change{ApplyCluster: changed.ClusterPolicies, DeleteCluster: []string{"default-deny"},
			Delete: []ir.PolicyRef{{Namespace: "prod", Name: "db-from-web"}}})
	changedSome := false
	for i, ch := range cases {
		smart, err := dryRun(c, ch, false)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		full, err := dryRun(c, ch, true)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		a, _ := json.MarshalIndent(smart, "", " ")
		b, _ := json.MarshalIndent(full, "", " ")
		if !bytes.Equal(a, b) {
			t.Errorf("case %d: smart and full differ:\nsmart: %s\nfull: %s", i, a, b)
		}
		changedSome = changedSome || full.Connectivity.LostProbes+full.Connectivity.GainedProbes > 0
	}
	if !changedSome {
		t.Error("no case changed any verdict")
	}
}

// TestDryRunDeletePass: without the Admin Pass, the Admin Deny after it decides dev/app → prod/web on TCP 80:
// exactly that probe is lost, nothing gained, and only ClusterNetworkPolicy delegate-dev-http is deleted.
func TestDryRunDeletePass(t *testing.T) {
	var out, errOut bytes.Buffer
	args := []string{"dry-run", "--state", cnpExample, "--delete", "cnp/delegate-dev-http", "-o", "json"}
	if code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep struct{ Policies []policyAction }
	var full dryRunReportJSON
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(out.Bytes(), &full); err != nil {
		t.Fatal(err)
	}
	if len(rep.Policies) != 1 || rep.Policies[0] != (policyAction{Policy: "delegate-dev-http", Kind: clusterKind, Action: "delete"}) {
		t.Errorf("policies %+v", rep.Policies)
	}
	c := full.Connectivity
	if c.GainedProbes != 0 || c.LostProbes != 1 || len(c.Lost) != 1 || len(c.Lost[0].Probes) != 1 {
		t.Fatalf("connectivity %+v; want one lost probe", c)
	}
	p := c.Lost[0].Probes[0]
	if p.From != "dev/app" || p.To != "prod/web" || p.Port != 80 || p.Protocol != "TCP" {
		t.Errorf("lost %+v; want dev/app → prod/web TCP/80", p)
	}
}

package plugin

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// TestGolden runs each subcommand offline on testdata/cluster.yaml and compares stdout with
// testdata/golden/<name>.txt (go test ./internal/plugin -run TestGolden -update rewrites them; read the diff).
func TestGolden(t *testing.T) {
	const cluster = "testdata/cluster.yaml"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"matrix", []string{"matrix", "-f", cluster}},
		{"matrix-json", []string{"matrix", "-f", cluster, "-o", "json"}},
		{"matrix-csv", []string{"matrix", "-f", cluster, "-o", "csv", "--ns", "alpha", "--ns", "beta"}},
		{"matrix-yaml-ports", []string{"matrix", "-f", cluster, "-o", "yaml", "-n", "alpha", "--ports", "80,8080", "--protocols", "TCP,UDP"}},
		{"explain-named-egress", []string{"explain", "-f", cluster, "--from", "beta/client", "--to", "alpha/web", "--port", "http"}},
		{"explain-denied-ingress", []string{"explain", "-f", cluster, "--from", "beta/client", "--to", "gamma/web", "--port", "http"}},
		{"explain-external", []string{"explain", "-f", cluster, "--from", "203.0.113.200", "--to", "gamma/worker", "--port", "7000/UDP"}},
		{"explain-json", []string{"explain", "-f", cluster, "--from", "alpha/api", "--to", "alpha/db", "--port", "5432", "-o", "json"}},
		{"explain-unselected", []string{"explain", "-f", cluster, "--from", "beta/web", "--to", "beta/db", "--port", "5432"}},
		{"render-node", []string{"render", "-f", cluster}},
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

// checkGolden compares got with testdata/golden/<name>.txt, which -update rewrites.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".txt")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n%s", path, got)
	}
}

// TestBadInput: one line on stderr naming what is wrong, exit 1, nothing on stdout.
func TestBadInput(t *testing.T) {
	const cluster = "testdata/cluster.yaml"
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: x}\nspec: {podSelectr: {}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A kubeconfig pointing at a port where nothing listens.
	kc := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"explain", "-f", cluster, "--from", "alpha/nope", "--to", "alpha/web", "--port", "80"}, "pod alpha/nope not found"},
		{[]string{"explain", "-f", cluster, "--from", "alpha/api", "--to", "alpha/web", "--port", "99999"}, `--port "99999"`},
		{[]string{"explain", "-f", cluster, "--from", "alpha/api", "--to", "alpha/web", "--port", "http/ICMP"}, "unknown protocol"},
		{[]string{"explain", "-f", cluster, "--from", "alpha/api", "--to", "alpha/web", "--port", "nosuch"}, "not a port number, nor a container port name of alpha/web"},
		{[]string{"explain", "-f", cluster, "--from", "alpha", "--to", "alpha/web", "--port", "80"}, "want namespace/name"},
		{[]string{"explain", "-f", cluster, "--to", "alpha/web", "--port", "80"}, "--from, --to and --port are required"},
		{[]string{"matrix", "-f", bad}, "podSelectr"},
		// ClusterNetworkPolicies are checked as the v1beta1 CRD checks them; the error names file, document, object
		// and field.
		{[]string{"matrix", "-f", "testdata/cnp/unknown-field.yaml"},
			"testdata/cnp/unknown-field.yaml: document 1: ClusterNetworkPolicy typo: spec.ingress[0].form: unknown field"},
		{[]string{"matrix", "-f", "testdata/cnp/bad-tier.yaml"},
			`testdata/cnp/bad-tier.yaml: document 1: ClusterNetworkPolicy bad-tier: spec.tier: unsupported tier "Developer"`},
		{[]string{"render", "-f", "testdata/cnp/bad-cidr.yaml"},
			`testdata/cnp/bad-cidr.yaml: document 2: ClusterNetworkPolicy bad-cidr: spec.egress[0].to[1].networks[1]: invalid CIDR "10.1.2.3/16": host bits set`},
		{[]string{"matrix", "-f", "testdata/cnp/bad-range.yaml"},
			"testdata/cnp/bad-range.yaml: document 1: ClusterNetworkPolicy bad-range: spec.ingress[0].protocols[1].udp.destinationPort.range: start 53 must be less than end 53"},
		{[]string{"matrix", "-f", cluster, "--ports", "0"}, "not a port"},
		{[]string{"matrix", "-f", cluster, "--protocols", "UDP"}, "--protocols needs --ports"},
		{[]string{"matrix", "-f", cluster, "-o", "wide"}, "want table, json, yaml or csv"},
		{[]string{"matrix", "-f", cluster, "--ns", "nope"}, "no pod with an address in namespace(s) [nope]"},
		{[]string{"matrix", "--offline"}, "--offline needs -f"},
		{[]string{"matrix", "--kubeconfig", kc}, "cannot read namespaces from the cluster at https://127.0.0.1:1"},
		{[]string{"matrix", "-f", cluster, "stray"}, `unexpected argument "stray"`},
		{[]string{"matrix", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"drops", "-o", "yaml"}, `drops: -o: want text or json, got "yaml"`},
		{[]string{"top", "--offline"}, "top: reads the NodePolicyStatus objects the agents write: it needs the live cluster"},
		{[]string{"drops", "-f", cluster}, "drops: reads the NodePolicyStatus objects the agents write: it needs the live cluster"},
		{[]string{"top", "--node", "Node_A"}, `top: --node: invalid node name "Node_A"`},
		{[]string{"top", "--kubeconfig", kc}, "top: cannot read nodepolicystatuses from the cluster at https://127.0.0.1:1"},
		{[]string{"drops", "--kubeconfig", kc, "--node", "node-a"}, "drops: cannot read NodePolicyStatus node-a from the cluster at https://127.0.0.1:1"},
	} {
		var out, errOut bytes.Buffer
		code := Main(tc.args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		msg := strings.TrimSpace(errOut.String())
		if code != 1 || out.Len() != 0 || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "error: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 1, one line with %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}

package plugin

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// TestLiveClusterPoliciesEqualsOffline: with the ClusterNetworkPolicy CRD installed (config/crd/bases) and the
// objects of examples/clusternetworkpolicy and testdata/cnp/nodes.yaml (a nodes peer, so Nodes are read too) in
// the API server, every command prints the same bytes from the live cluster as from the files; dry-run of
// ClusterNetworkPolicies passes --validate=server and says what --state says.
func TestLiveClusterPoliciesEqualsOffline(t *testing.T) {
	files := []string{cnpExample, "testdata/cnp/nodes.yaml"}
	env := &envtest.Environment{CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true}
	kubeconfig := startClusterWith(t, env, files...)
	offline := func(args []string) []string {
		for _, f := range files {
			args = append(args, "-f", f)
		}
		return args
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"render", []string{"render"}},
		{"matrix-json", []string{"matrix", "-o", "json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			liveCode, live, liveErr := runMain(append(tc.args, "--kubeconfig", kubeconfig))
			offCode, off, offErr := runMain(offline(tc.args))
			if liveCode != 0 || offCode != 0 {
				t.Fatalf("exit live %d (%s), offline %d (%s)", liveCode, liveErr, offCode, offErr)
			}
			if live != off || live == "" {
				t.Errorf("live and offline differ:\n--- live\n%s\n--- offline\n%s", live, off)
			}
			if tc.name == "render" && !strings.Contains(live, "198.51.100.1") {
				t.Errorf("the ruleset lacks the infra node's ExternalIP:\n%s", live)
			}
		})
	}
	for _, ch := range [][]string{
		{"--delete", "cnp/delegate-dev-http"},
		{"-f", "testdata/cnp/delegate-changed.yaml", "--delete", "cnp/dev-not-to-infra-nodes", "--delete", "prod/db-from-web"},
	} {
		// -f of dry-run holds the change: the offline cluster is --state.
		state := []string{"dry-run"}
		for _, f := range files {
			state = append(state, "--state", f)
		}
		code, off, errs := runMain(append(state, ch...))
		if code != 0 {
			t.Fatalf("dry-run --state %v: exit %d: %s", ch, code, errs)
		}
		for _, v := range []string{"client", "server"} {
			code, live, errs := runMain(append([]string{"dry-run", "--kubeconfig", kubeconfig, "--validate", v}, ch...))
			if code != 0 || live != off {
				t.Errorf("dry-run %v --validate=%s: exit %d (%s), output:\n%s\nwant as offline:\n%s", ch, v, code, errs, live, off)
			}
		}
	}
}

// runMain runs the plugin with args and returns its exit code, stdout and stderr (trimmed).
func runMain(args []string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := Main(args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), strings.TrimSpace(errOut.String())
}

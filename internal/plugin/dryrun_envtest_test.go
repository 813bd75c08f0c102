package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// TestDryRunLive runs dry-run against a real API server holding testdata/cluster.yaml: the report is the one
// --state gives, --validate=server passes for valid creates, updates and deletes and names the object the API
// server refuses, and the cluster's policies are the same afterwards.
func TestDryRunLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (~10 s)")
	}
	kubeconfig := startCluster(t, fixtureCluster)
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(append([]string{"dry-run"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		return code, out.String(), strings.TrimSpace(errOut.String())
	}
	changes := [][]string{
		{"-f", dryRunDir + "deny-beta-ingress.yaml"},
		{"-f", dryRunDir + "db-from-api-and-beta.yaml", "-f", dryRunDir + "api-egress.yaml", "--delete", "gamma/from-outside"},
	}
	for _, ch := range changes {
		_, offline, _ := run(append([]string{"--state", fixtureCluster}, ch...)...)
		for _, v := range []string{"client", "server"} {
			code, live, errs := run(append([]string{"--kubeconfig", kubeconfig, "--validate", v}, ch...)...)
			if code != 0 || live != offline {
				t.Errorf("%v --validate=%s: exit %d (%s), output:\n%s\nwant as offline:\n%s", ch, v, code, errs, live, offline)
			}
		}
	}

	nope := filepath.Join(t.TempDir(), "nope.yaml")
	if err := os.WriteFile(nope, []byte("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: nope}\nspec: {podSelector: {}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Valid for the agent, so --validate=client reports it; the API server refuses it.
	if code, _, errs := run("--kubeconfig", kubeconfig, "-f", nope); code != 0 {
		t.Errorf("--validate=client: exit %d: %s", code, errs)
	}
	code, out, errs := run("--kubeconfig", kubeconfig, "-f", nope, "--validate=server")
	want := nope + `: document 1: NetworkPolicy nope/np: refused by the API server`
	if code != 1 || out != "" || !strings.HasPrefix(errs, "error: "+want) || !strings.Contains(errs, `namespaces "nope" not found`) ||
		strings.Contains(errs, "\n") {
		t.Errorf("--validate=server on a missing namespace: exit %d, stdout %q, stderr %q; want one line %q ... not found", code, out, errs, want)
	}

	// Nothing was written: the policies are those of the file, unchanged.
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	var pols networkingv1.NetworkPolicyList
	if err := c.List(context.Background(), &pols); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pols.Items {
		names = append(names, p.Namespace+"/"+p.Name)
		if p.Namespace == "alpha" && p.Name == "db-from-api" && len(p.Spec.Ingress) != 1 {
			t.Errorf("alpha/db-from-api was changed: %+v", p.Spec)
		}
	}
	if got := strings.Join(names, " "); got != "alpha/allow-http alpha/db-from-api alpha/default-deny-ingress beta/egress-lock gamma/from-outside" {
		t.Errorf("policies after the dry runs: %s", got)
	}
}

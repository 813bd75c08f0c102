package plugin

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// envtestAssets is KUBEBUILDER_ASSETS, or bin/k8s/1.37.2-<os>-<arch> when hack/envtest/build.sh built them.
// Missing assets fail the test: a skipped live test would pass unnoticed.
func envtestAssets(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	dir, _ := filepath.Abs(filepath.Join("..", "..", "bin", "k8s", "1.37.2-"+runtime.GOOS+"-"+runtime.GOARCH))
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		t.Fatal("no kube-apiserver and etcd: run `make envtest` (builds them offline into bin/) or set KUBEBUILDER_ASSETS")
	}
	return dir
}

// startCluster starts an API server holding the objects of manifest file and returns a kubeconfig file of a
// system:masters user for it.
func startCluster(t *testing.T, file string) string {
	t.Helper()
	return startClusterWith(t, &envtest.Environment{}, file)
}

// startClusterWith starts env (with the CRDs it installs) holding the objects of the manifest files: Namespaces,
// Nodes and Pods (with their status, as the kubelet writes it), NetworkPolicies and ClusterNetworkPolicies.
func startClusterWith(t *testing.T, env *envtest.Environment, files ...string) string {
	t.Helper()
	cfg, kubeconfig := startAPIServer(t, env)
	scheme, err := clusterScheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Load(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, ns := range objs.Namespaces {
		createObject(t, ctx, c, ns.DeepCopy())
	}
	for _, n := range objs.Nodes {
		n = n.DeepCopy()
		status := n.Status
		createObject(t, ctx, c, n)
		n.Status = status
		if err := c.Status().Update(ctx, n); err != nil {
			t.Fatalf("status of node %s: %v", n.Name, err)
		}
	}
	for _, p := range objs.Pods {
		p = p.DeepCopy()
		status := p.Status
		createObject(t, ctx, c, p)
		p.Status = status // the API server drops status on create: write it as the kubelet would
		if err := c.Status().Update(ctx, p); err != nil {
			t.Fatalf("status of pod %s/%s: %v", p.Namespace, p.Name, err)
		}
	}
	for _, np := range objs.Policies {
		createObject(t, ctx, c, np.DeepCopy())
	}
	for _, p := range objs.ClusterPolicies {
		createObject(t, ctx, c, p.DeepCopy())
	}
	return kubeconfig
}

// startAPIServer starts env (its binaries and API server settings filled in here) and returns its config and a
// kubeconfig file of a system:masters user for it.
func startAPIServer(t *testing.T, env *envtest.Environment) (*rest.Config, string) {
	t.Helper()
	env.BinaryAssetsDirectory = envtestAssets(t)
	env.ControlPlane = envtest.ControlPlane{APIServer: &envtest.APIServer{CertDir: t.TempDir(), StopTimeout: 5 * time.Second}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop envtest: %v", err)
		}
	})
	user, err := env.AddUser(envtest.User{Name: "plugin-test", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, kubeconfig
}

func createObject(t *testing.T, ctx context.Context, c client.Client, o client.Object) {
	t.Helper()
	o.SetResourceVersion("")
	o.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	if err := c.Create(ctx, o); err != nil {
		t.Fatalf("create %s/%s: %v", o.GetNamespace(), o.GetName(), err)
	}
}

// TestLiveEqualsOffline: every command prints the same bytes and exits the same from a real API server holding
// testdata/cluster.yaml (--kubeconfig) as from the file itself (-f).
func TestLiveEqualsOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (~10 s)")
	}
	const cluster = "testdata/cluster.yaml"
	kubeconfig := startCluster(t, cluster)

	// diff compares with the table render prints for every pod local: drift on node-a, where no pod runs.
	var rendered bytes.Buffer
	if code := Main([]string{"render", "-f", cluster}, Streams{In: strings.NewReader(""), Out: &rendered, Err: &bytes.Buffer{}}); code != 0 {
		t.Fatalf("render: exit %d", code)
	}
	ruleset := filepath.Join(t.TempDir(), "node.nft")
	if err := os.WriteFile(ruleset, rendered.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"render", []string{"render"}, 0},
		{"render-node", []string{"render", "--node", "node-a"}, 0},
		{"matrix", []string{"matrix"}, 0},
		{"matrix-json", []string{"matrix", "-o", "json"}, 0},
		{"matrix-ports", []string{"matrix", "-o", "yaml", "-n", "alpha", "--ports", "80,8080", "--protocols", "TCP,UDP"}, 0},
		{"explain-json", []string{"explain", "--from", "alpha/api", "--to", "alpha/db", "--port", "5432", "-o", "json"}, 0},
		{"explain-named", []string{"explain", "--from", "beta/client", "--to", "alpha/web", "--port", "http", "-o", "json"}, 0},
		{"explain-external", []string{"explain", "--from", "203.0.113.200", "--to", "gamma/worker", "--port", "7000/UDP", "-o", "json"}, 0},
		{"explain-denied", []string{"explain", "--from", "beta/client", "--to", "gamma/web", "--port", "http"}, 0},
		{"diff", []string{"diff", "--node", "node-a", "--ruleset", ruleset}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := func(src ...string) (int, string, string) {
				var out, errOut bytes.Buffer
				code := Main(append(tc.args, src...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
				return code, out.String(), errOut.String()
			}
			liveCode, live, liveErr := run("--kubeconfig", kubeconfig)
			offCode, off, offErr := run("-f", cluster)
			if liveCode != tc.code || offCode != tc.code {
				t.Fatalf("exit live %d (%s), offline %d (%s); want %d", liveCode, liveErr, offCode, offErr, tc.code)
			}
			if live != off || liveErr != offErr {
				t.Errorf("live and offline differ:\n--- live (stderr %q)\n%s\n--- offline (stderr %q)\n%s", liveErr, live, offErr, off)
			}
			if live == "" {
				t.Error("no output")
			}
		})
	}

	// drops and top read NodePolicyStatus objects, which this cluster has no CRD for.
	var out, errOut bytes.Buffer
	code := Main([]string{"drops", "--kubeconfig", kubeconfig}, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	if msg := strings.TrimSpace(errOut.String()); code != 1 || out.Len() != 0 || strings.Contains(msg, "\n") ||
		!strings.Contains(msg, "drops: cannot read nodepolicystatuses") || !strings.HasSuffix(msg, "(is nftpolicy installed in this cluster?)") {
		t.Errorf("drops without the CRD: exit %d, stdout %q, stderr %q; want one line saying nftpolicy is not installed", code, out.String(), msg)
	}
}

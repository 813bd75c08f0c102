package controllers

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// envtestAssets is KUBEBUILDER_ASSETS, or bin/k8s/1.37.2-<os>-<arch> when hack/envtest/build.sh built them.
func envtestAssets(t *testing.T) string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	dir, _ := filepath.Abs(filepath.Join("..", "bin", "k8s", "1.37.2-"+runtime.GOOS+"-"+runtime.GOARCH))
	if _, err := os.Stat(filepath.Join(dir, "kube-apiserver")); err != nil {
		t.Fatal("no kube-apiserver and etcd: run `make envtest` (builds them offline into bin/) or set KUBEBUILDER_ASSETS")
	}
	return dir
}

// eventually polls cond every 50ms until it holds, or fails after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() error) {
	t.Helper()
	var err error
	start := time.Now()
	for deadline := start.Add(d); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err = cond(); err == nil {
			t.Logf("%s: after %s", what, time.Since(start).Round(time.Millisecond))
			return
		}
	}
	t.Fatalf("%s: not within %s: %v", what, d, err)
}

// TestAgentOnAPIServer runs the whole agent (New) against a real API server, programming a network namespace
// of its own: first sync, tamper repair, readiness through an API server outage, and the table kept when the
// agent stops. (Events on unenforceable policies are unit-tested: the API server refuses every policy the
// builder refuses that was tried, e.g. an IPv4-mapped IPv6 CIDR.) The datapath itself is the e2e suites' business.
func TestAgentOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (~30 s)")
	}
	// A fixed certificate directory keeps the serving certificate and the client CA across the restart below,
	// so the agent's credentials stay valid; the secure port is kept too.
	env := &envtest.Environment{BinaryAssetsDirectory: envtestAssets(t),
		ControlPlane: envtest.ControlPlane{APIServer: &envtest.APIServer{CertDir: t.TempDir(), StopTimeout: 5 * time.Second}}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() { env.Stop() })
	ns, path := netnstest.New(t, "agent")

	probeAddr, metricsAddr := freeAddr(t), freeAddr(t)
	agent, err := New(cfg, Options{NodeName: testNode, NetnsPath: path, VerifyInterval: 200 * time.Millisecond,
		APIUnreachableAfter: 2 * time.Second, ProbeAddr: probeAddr, MetricsAddr: metricsAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Start(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()

	c, err := client.New(cfg, client.Options{Scheme: agent.GetScheme()})
	if err != nil {
		t.Fatal(err)
	}
	objs := cluster()
	for _, o := range objs {
		create(t, c, o)
	}
	conn, err := kernel.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	want := compileFor(t, objs)
	holds := func() error {
		got, err := conn.Read()
		if err != nil {
			return err
		}
		if got == nil {
			return errString("no table")
		}
		if p := nft.Diff(got, want); !p.Empty() {
			return errString("differs by:\n" + planText(p, want))
		}
		return nil
	}
	eventually(t, 20*time.Second, "first sync", holds)
	eventually(t, 5*time.Second, "ready", agent.Ready)
	if code, body := get(t, "http://"+probeAddr+"/readyz"); code != http.StatusOK {
		t.Errorf("/readyz: %d %s", code, body)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	token := metricsReaderToken(t, cs)
	eventually(t, 20*time.Second, "metrics served", func() error { // after its certificate is made
		conn, err := net.Dial("tcp", metricsAddr)
		if err == nil {
			conn.Close()
		}
		return err
	})
	code, metrics := scrape(t, "https://"+metricsAddr+"/metrics", token)
	if code != http.StatusOK {
		t.Errorf("/metrics: %d %s", code, firstLine(metrics))
	}
	for _, m := range []string{"nftpolicy_sync_duration_seconds_count", "nftpolicy_batches_total",
		"nftpolicy_set_elements", "nftpolicy_event_to_kernel_seconds_bucket", `nftpolicy_errors_total{kind="dataplane"}`} {
		if !strings.Contains(metrics, m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
	if c, ok, err := storeSnapshot(ctx, agent.GetCache(), false); !ok || err != nil || len(c.Pods) != 3 {
		t.Errorf("syncs do not read the informers' stores: ok %v, err %v, %d pods", ok, err, len(c.Pods))
	}

	if out, err := netnstest.Exec(t, ns, "", "nft", "delete", "table", "inet", nft.TableName); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	eventually(t, 5*time.Second, "table restored after deletion", holds)

	// API server outage: the table stays, readiness fails after APIUnreachableAfter, then recovers.
	if err := env.ControlPlane.APIServer.Stop(); err != nil {
		t.Logf("stop the API server: %v", err) // killed after StopTimeout: an outage all the same
	}
	eventually(t, 20*time.Second, "not ready while the API server is down", func() error {
		if err := agent.Ready(); err == nil || !strings.Contains(err.Error(), "API server unreachable") {
			return errString("ready: " + errText(err))
		}
		return nil
	})
	if code, body := get(t, "http://"+probeAddr+"/readyz"); code == http.StatusOK {
		t.Errorf("/readyz during the outage: %d %s", code, body)
	}
	if code, body := get(t, "http://"+probeAddr+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz during the outage: %d %s", code, body)
	}
	if err := holds(); err != nil {
		t.Errorf("table changed during the outage: %v", err)
	}
	if err := env.ControlPlane.APIServer.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "ready again after the API server is back", agent.Ready)

	cancel()
	wg.Wait()
	if err := holds(); err != nil {
		t.Errorf("table not kept when the agent stopped: %v", err)
	}
}

func create(t *testing.T, c client.Client, o client.Object) {
	t.Helper()
	ctx := context.Background()
	o = o.DeepCopyObject().(client.Object)
	p, isPod := o.(*corev1.Pod)
	var status corev1.PodStatus
	if isPod {
		status = p.Status
		p.Spec.Containers = []corev1.Container{{Name: "c", Image: "img"}}
	}
	if err := c.Create(ctx, o); err != nil {
		t.Fatalf("create %s: %v", o.GetName(), err)
	}
	if isPod {
		p.Status = status
		if err := c.Status().Update(ctx, p); err != nil {
			t.Fatalf("pod status %s: %v", p.Name, err)
		}
	}
}

// freeAddr is a free local TCP address.
func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type errString string

func (e errString) Error() string { return string(e) }

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// TestAgentWithoutAPIServerKeepsTheTable starts the agent with the API server unreachable over a table left by a
// previous run: it keeps running, not ready, and writes nothing.
func TestAgentWithoutAPIServerKeepsTheTable(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the agent to give up on the API server (~5 s)")
	}
	_, path := netnstest.New(t, "noapi")
	conn, err := kernel.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	previous := compileFor(t, cluster())
	if _, err := conn.Sync(previous); err != nil {
		t.Fatal(err)
	}
	agent, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, Options{NodeName: testNode, NetnsPath: path,
		VerifyInterval: 100 * time.Millisecond, APIUnreachableAfter: time.Second, Registerer: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Start(ctx) }()
	defer func() {
		cancel()
		start := time.Now()
		<-done
		t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	}()

	time.Sleep(3 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("agent stopped without an API server: %v", err)
	default:
	}
	if err := agent.Ready(); err == nil || !strings.Contains(err.Error(), "no successful sync") ||
		!strings.Contains(err.Error(), "API server unreachable") {
		t.Errorf("Ready without an API server = %v, want not ready: no sync, API server unreachable", err)
	}
	got, err := conn.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || !nft.Diff(got, previous).Empty() {
		t.Error("the previous table changed while the API server was unreachable")
	}
}

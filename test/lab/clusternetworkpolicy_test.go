package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	nftlab "github.com/nftpolicy/nftpolicy/internal/lab"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// The ClusterNetworkPolicy example, and its verdicts written by hand from the API's semantics (the table in
// examples/clusternetworkpolicy/clusternetworkpolicies.yaml), not from our evaluator.
const (
	cnpExample  = "../../examples/clusternetworkpolicy"
	cnpWorkload = cnpExample + "/workloads.yaml"
	cnpPolicies = cnpExample + "/clusternetworkpolicies.yaml"

	app, prom, db, web = "dev/app", "monitoring/prometheus", "prod/db", "prod/web"
)

// cnpAllowed are the probes the example allows with its cluster policies; every other probe is denied.
var cnpAllowed = []string{
	app + ">" + web + " TCP/80",    // Admin Pass (priority 5), then prod/web-ingress admits dev
	prom + ">" + web + " TCP/9090", // prod/web-ingress: monitoring on "metrics"; no Admin rule matches
	web + ">" + db + " TCP/5432",   // prod/db-from-web
}

// workloadsAllowed are the probes the workloads allow without any cluster policy: besides cnpAllowed, dev/app
// reaches prod/web's 9090 (prod/web-ingress admits dev on every port), and nothing isolates dev or monitoring.
var workloadsAllowed = append([]string{
	app + ">" + web + " TCP/9090",
	app + ">" + prom + " TCP/9090",
	prom + ">" + app + " TCP/80",
	db + ">" + app + " TCP/80",
	db + ">" + prom + " TCP/9090",
	web + ">" + app + " TCP/80",
	web + ">" + prom + " TCP/9090",
}, cnpAllowed...)

// TestLabClusterNetworkPolicyChangesMatrix: ClusterNetworkPolicies applied in the lab change the matrix as the
// API says, with real packets. Three scenarios of one `nftpolicy lab --once -o json`: the example's workloads
// alone, the workloads with the three cluster policies, and the same without the Admin Pass (then the Admin
// Deny decides dev/app → prod/web on port 80 too). Every one of the 15 probes of each is checked against the
// verdicts written by hand.
func TestLabClusterNetworkPolicyChangesMatrix(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the lab needs root (CI runs as root)")
	}
	// The third scenario: the example without delegate-dev-http.
	objs, err := manifest.Load([]string{cnpPolicies}, nil)
	if err != nil {
		t.Fatal(err)
	}
	noPass := filepath.Join(t.TempDir(), "no-pass.yaml")
	docs := []string{readFile(t, cnpWorkload)}
	for _, p := range objs.ClusterPolicies {
		if p.Name != "delegate-dev-http" {
			docs = append(docs, marshal(t, p))
		}
	}
	if err := os.WriteFile(noPass, []byte(strings.Join(docs, "\n---\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	scenarios := []struct {
		file    string
		allowed []string
	}{
		{cnpWorkload, workloadsAllowed},
		{cnpExample, cnpAllowed},
		{noPass, cnpAllowed[1:]},
	}
	o := &nftlab.Options{Once: true, Output: "json", StateRoot: t.TempDir()}
	for _, s := range scenarios {
		o.Files = append(o.Files, s.file)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	if err := nftlab.Run(ctx, o, &out, &log); err != nil {
		t.Fatalf("lab: %v\n%s", err, log.String())
	}
	observed := map[string]string{}  // "scenario from>to proto/port" -> allow|deny
	decidedBy := map[string]string{} // the same keys -> the ClusterNetworkPolicy rule that decided, if one did
	var summary string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var p struct {
			Scenario, From, To, Protocol, Observed, Expected, DecidedBy string
			Port                                                        int
		}
		if !strings.HasPrefix(sc.Text(), "{") {
			summary = sc.Text()
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		k := p.Scenario + " " + p.From + ">" + p.To + " " + p.Protocol + "/" + itoa(p.Port)
		observed[k] = p.Observed
		decidedBy[k] = p.DecidedBy
		if p.Observed != p.Expected {
			t.Errorf("%s: observed %s, the evaluator expected %s", k, p.Observed, p.Expected)
		}
	}
	if summary != "45 passed, 0 failed" {
		t.Errorf("summary %q, want 45 passed, 0 failed", summary)
	}
	for _, s := range scenarios {
		name := filepath.Clean(s.file)
		n := 0
		for k, got := range observed {
			probe, ok := strings.CutPrefix(k, name+" ")
			if !ok {
				continue
			}
			n++
			want := "deny"
			for _, a := range s.allowed {
				if a == probe {
					want = "allow"
				}
			}
			if got != want {
				t.Errorf("scenario %s: %s: observed %s, the API says %s", name, probe, got, want)
			}
		}
		if n != 15 {
			t.Errorf("scenario %s: %d probes, want 15", name, n)
		}
	}
	// The JSON names the rule that decided, where one did.
	const denyDev = `Admin ClusterNetworkPolicy deny-dev-to-prod ingress[0] "no-dev-in-prod" (priority 10)`
	const baseline = `Baseline ClusterNetworkPolicy default-deny ingress[0] "deny-all-ingress" (priority 100)`
	for k, want := range map[string]string{
		cnpExample + " " + app + ">" + web + " TCP/9090":  denyDev,
		cnpExample + " " + web + ">" + app + " TCP/80":    baseline,
		cnpExample + " " + app + ">" + web + " TCP/80":    "", // Pass, then NetworkPolicy
		cnpExample + " " + prom + ">" + db + " TCP/5432":  "", // NetworkPolicy
		cnpWorkload + " " + app + ">" + web + " TCP/9090": "",
		noPass + " " + app + ">" + web + " TCP/80":        denyDev,
	} {
		if got := decidedBy[k]; got != want { // the scenario names are clean paths already
			t.Errorf("%s: decidedBy %q, want %q", k, got, want)
		}
	}
}

// TestLabLiveAppliesClusterNetworkPolicies: in a live lab running the example's workloads, creating its
// ClusterNetworkPolicies through the lab's kubeconfig (as kubectl apply would) redraws the matrix with the new
// verdicts, and deleting them brings the old matrix back.
func TestLabLiveAppliesClusterNetworkPolicies(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the lab needs root (CI runs as root)")
	}
	state := t.TempDir()
	o := &nftlab.Options{Files: []string{cnpWorkload}, StateRoot: state, Kubeconfig: filepath.Join(state, "kubeconfig")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, log syncBuffer
	done := make(chan error, 1)
	go func() { done <- nftlab.Run(ctx, o, &out, &log) }()
	// waitSummary waits for the n-th matrix and returns its summary line.
	waitSummary := func(what string, n int) string {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for time.Now().Before(deadline) {
			var sums []string
			for _, l := range strings.Split(out.String(), "\n") {
				if strings.Contains(l, " probes · ") {
					sums = append(sums, l)
				}
			}
			if len(sums) >= n {
				return sums[n-1]
			}
			select {
			case err := <-done:
				t.Fatalf("%s: the lab ended: %v\n%s", what, err, log.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		t.Fatalf("%s: no matrix %d within 90s; output:\n%s\nlog:\n%s", what, n, out.String(), log.String())
		return ""
	}
	// 4 pods, 5 ports: 15 probes; the allowed ones are counted in workloadsAllowed and cnpAllowed.
	if s := waitSummary("start", 1); !strings.HasPrefix(s, "15 probes · 10 allow · 5 deny · 0 mismatches") {
		t.Errorf("workloads alone: %q, want 15 probes · 10 allow · 5 deny · 0 mismatches", s)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", o.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := cnpv1beta1.Install(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := manifest.Load([]string{cnpPolicies}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One Create per policy: the lab may redraw between them, so wait for the matrix that shows all three.
	for _, p := range objs.ClusterPolicies {
		if err := c.Create(ctx, p.DeepCopy()); err != nil {
			t.Fatal(err)
		}
	}
	want := "15 probes · 3 allow · 12 deny · 0 mismatches"
	var s string
	n := 2
	for ; !strings.HasPrefix(s, want); n++ {
		if n > 5 {
			t.Fatalf("after the cluster policies: %q, want %s", s, want)
		}
		s = waitSummary("cluster policies applied", n)
		if !strings.Contains(s, "0 mismatches") {
			t.Errorf("matrix %d: %q", n, s)
		}
	}
	for _, w := range []string{"3 cluster policies", "decided by ClusterNetworkPolicy rules",
		`6 denied by Baseline ClusterNetworkPolicy default-deny ingress[0] "deny-all-ingress" (priority 100)`,
		`2 denied by Admin ClusterNetworkPolicy deny-dev-to-prod ingress[0] "no-dev-in-prod" (priority 10)`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("the output lacks %q:\n%s", w, out.String())
		}
	}
	// Deleting them restores the workloads' matrix.
	for _, p := range objs.ClusterPolicies {
		if err := c.Delete(ctx, p.DeepCopy()); err != nil {
			t.Fatal(err)
		}
	}
	want = "15 probes · 10 allow · 5 deny · 0 mismatches"
	for m := n; !strings.HasPrefix(s, want); m++ {
		if m > n+3 {
			t.Fatalf("after deleting the cluster policies: %q, want %s", s, want)
		}
		s = waitSummary("cluster policies deleted", m)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("lab: %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func marshal(t *testing.T, obj any) string {
	t.Helper()
	b, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

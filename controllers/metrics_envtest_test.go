package controllers

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// metricsNamespace holds the service accounts the metrics tests make.
const metricsNamespace = "metrics-test"

// TestMetricsAuthOnAPIServer runs the agent (on a fake dataplane) against a real API server, authenticated as a
// service account bound to nothing but the shipped ClusterRole nftpolicy-agent (config/rbac/role.yaml), and
// scrapes its /metrics: HTTPS only; no token or a token the API server does not know → 401; the token of a
// service account without nftpolicy-metrics-reader (config/rbac/metrics_reader_role.yaml) → 403; with it → 200
// and the agent's metrics. That the agent can ask at all shows its role holds the TokenReview and
// SubjectAccessReview creates the filter needs. The probes stay plain HTTP and answer anyone.
func TestMetricsAuthOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (~10 s)")
	}
	env := &envtest.Environment{BinaryAssetsDirectory: envtestAssets(t)}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() { env.Stop() })
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	agentRole := applyClusterRole(t, cs, filepath.Join("..", "config", "rbac", "role.yaml"))
	agentCfg := rest.AnonymousClientConfig(cfg)
	agentCfg.BearerToken = serviceAccountToken(t, cs, "agent", agentRole)
	stranger := serviceAccountToken(t, cs, "stranger", "")
	scraper := metricsReaderToken(t, cs)

	probeAddr, metricsAddr := freeAddr(t), freeAddr(t)
	agent, err := New(agentCfg, Options{NodeName: testNode, Dataplane: &fakeDataplane{}, VerifyInterval: -1,
		NoStatus: true, ProbeAddr: probeAddr, MetricsAddr: metricsAddr})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Start(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	eventually(t, 20*time.Second, "ready", agent.Ready)
	// The metrics server listens only once it has made its self-signed certificate (two RSA keys), which can be
	// after the first sync.
	var cert *x509.Certificate
	eventually(t, 20*time.Second, "metrics served", func() error {
		conn, err := tls.Dial("tcp", metricsAddr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // inspected below
		if err != nil {
			return err
		}
		defer conn.Close()
		cert = conn.ConnectionState().PeerCertificates[0]
		return nil
	})
	if err := cert.VerifyHostname("localhost"); err != nil || cert.IsCA {
		t.Errorf("metrics certificate: %v (CA %v); want controller-runtime's self-signed one for localhost", err, cert.IsCA)
	}

	url := "https://" + metricsAddr + "/metrics"
	for _, c := range []struct {
		who, token string
		want       int
	}{
		{"no token", "", http.StatusUnauthorized},
		// The API server's TokenReview answers a token it cannot parse with status.error set, which
		// controller-runtime's filter (through k8s.io/apiserver's webhook authenticator) takes for a failure to
		// authenticate, not a denial: 500 "Authentication failed". Refused all the same.
		{"a token the API server does not know", "not-a-token", http.StatusInternalServerError},
		{"a service account without " + metricsReaderRole, stranger, http.StatusForbidden},
		{"a service account bound to " + metricsReaderRole, scraper, http.StatusOK},
	} {
		code, body := scrape(t, url, c.token)
		if code != c.want {
			t.Errorf("%s: %d %q, want %d", c.who, code, firstLine(body), c.want)
		}
		if has := strings.Contains(body, "nftpolicy_"); has != (c.want == http.StatusOK) {
			t.Errorf("%s: metrics in the answer %v, want %v", c.who, has, c.want == http.StatusOK)
		}
		if c.want == http.StatusOK {
			for _, m := range []string{`nftpolicy_errors_total{kind="dataplane"}`, "nftpolicy_sync_duration_seconds_count",
				"controller_runtime_reconcile_total"} {
				if !strings.Contains(body, m) {
					t.Errorf("%s: /metrics lacks %s", c.who, m)
				}
			}
		}
	}
	// Plain HTTP gets no metrics, with or without a token.
	req, _ := http.NewRequest(http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+scraper)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(b), "nftpolicy_") {
			t.Errorf("plain HTTP to the metrics port: %d, %d bytes", resp.StatusCode, len(b))
		}
	}
	// The kubelet's probes carry no credentials: they stay plain HTTP and say only whether the agent is ok.
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, "http://"+probeAddr+p); code != http.StatusOK || body != "ok" {
			t.Errorf("%s: %d %q, want 200 ok", p, code, body)
		}
	}
}

// TestMetricsCertDirIsChecked: a certificate directory without tls.crt and tls.key is an error at New, where
// controller-runtime would quietly serve a self-signed certificate instead.
func TestMetricsCertDirIsChecked(t *testing.T) {
	dir := t.TempDir()
	opts := Options{NodeName: testNode, Dataplane: &fakeDataplane{}, MetricsAddr: "127.0.0.1:0", MetricsCertDir: dir}
	if _, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, opts); err == nil || !strings.Contains(err.Error(), "tls.crt") {
		t.Errorf("New with an empty --metrics-cert-dir: %v, want an error naming tls.crt", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tls.crt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, opts); err == nil || !strings.Contains(err.Error(), "tls.key") {
		t.Errorf("New with only tls.crt: %v, want an error naming tls.key", err)
	}
}

// metricsReaderRole is the ClusterRole a scraper needs (config/rbac/metrics_reader_role.yaml).
const metricsReaderRole = "nftpolicy-metrics-reader"

// metricsReaderToken is the token of a service account bound to the shipped nftpolicy-metrics-reader role, as
// Prometheus's would be.
func metricsReaderToken(t *testing.T, cs kubernetes.Interface) string {
	t.Helper()
	role := applyClusterRole(t, cs, filepath.Join("..", "config", "rbac", "metrics_reader_role.yaml"))
	if role != metricsReaderRole {
		t.Fatalf("metrics_reader_role.yaml defines %s, want %s", role, metricsReaderRole)
	}
	return serviceAccountToken(t, cs, "scraper", role)
}

// applyClusterRole creates the ClusterRole in file (one object) and returns its name.
func applyClusterRole(t *testing.T, cs kubernetes.Interface, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(context.Background(), &role, metav1.CreateOptions{}); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return role.Name
}

// serviceAccountToken creates service account name in metricsNamespace, binds it to ClusterRole role (none when
// ""), and returns a token for it from the TokenRequest API.
func serviceAccountToken(t *testing.T, cs kubernetes.Interface, name, role string) string {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: metricsNamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: metricsNamespace}}
	if _, err := cs.CoreV1().ServiceAccounts(metricsNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if role != "" {
		b := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: metricsNamespace + "-" + name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: metricsNamespace}},
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := cs.CoreV1().ServiceAccounts(metricsNamespace).CreateToken(ctx, name, &authenticationv1.TokenRequest{},
		metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token of %s/%s: %v", metricsNamespace, name, err)
	}
	return tr.Status.Token
}

// scrape GETs url over HTTPS with token as bearer token (none when ""). The certificate is not verified: it is
// the agent's self-signed one, as the ServiceMonitor's insecureSkipVerify accepts it.
func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // the agent's self-signed certificate
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

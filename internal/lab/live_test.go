package lab

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

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

// TestLiveFollowsChanges runs the live demo and changes the cluster through the kubeconfig it writes, as a
// person with kubectl would: a new policy, a namespace put in audit mode, a new pod, a deleted pod and a deleted
// namespace each redraw the matrix with the new verdicts; on the end of its context the lab removes everything,
// the kubeconfig included.
func TestLiveFollowsChanges(t *testing.T) {
	requireLab(t)
	state := t.TempDir()
	o := &Options{StateRoot: state, Kubeconfig: filepath.Join(state, "kubeconfig")}
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, log syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o, &out, &log) }()
	// matrices returns the summaries printed so far.
	matrices := func() []string {
		var s []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, " probes · ") {
				s = append(s, l)
			}
		}
		return s
	}
	waitFor := func(what string, n int, has string) string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			if m := matrices(); len(m) >= n {
				if !strings.Contains(out.String(), has) {
					t.Fatalf("%s: the output lacks %q:\n%s", what, has, out.String())
				}
				return m[n-1]
			}
			select {
			case err := <-done:
				t.Fatalf("%s: the lab ended: %v\n%s", what, err, log.String())
			case <-time.After(50 * time.Millisecond):
			}
		}
		t.Fatalf("%s: no matrix %d within 60s; output:\n%s\nlog:\n%s", what, n, out.String(), log.String())
		return ""
	}
	first := waitFor("start", 1, "86 probes · 66 allow · 20 deny · 0 mismatches")
	c := kubeClient(t, o.Kubeconfig)

	// A policy: tools/debug may reach shop/web's http port.
	pol := &networkingv1.NetworkPolicy{}
	if err := decodeFile("../../examples/lab/allow-debug.yaml", pol); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, pol); err != nil {
		t.Fatal(err)
	}
	waitFor("policy added", 2, "86 probes · 67 allow · 19 deny · 0 mismatches")

	// Annotating a namespace puts it in audit mode: what its policies deny passes, and the matrix says so. Done
	// while nothing else changes, so that only the annotation can be what redraws the matrix.
	shop := &corev1.Namespace{}
	if err := c.Get(ctx, client.ObjectKey{Name: "shop"}, shop); err != nil {
		t.Fatal(err)
	}
	shop.Annotations = map[string]string{"nftpolicy.dev/audit": "true"}
	if err := c.Update(ctx, shop); err != nil {
		t.Fatal(err)
	}
	audit := waitFor("namespace in audit mode", 3, "a some or all pass only because of audit mode")
	if !strings.Contains(audit, " would be denied without audit mode · ") || !strings.Contains(audit, "0 mismatches") {
		t.Errorf("after annotating shop: %q, want audited probes and no mismatch", audit)
	}

	// A pod created without a node: the lab binds it, wires it up and probes it.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "tools", Name: "curl"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "curl",
			Ports: []corev1.ContainerPort{{ContainerPort: 7000}}}}}}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	added := waitFor("pod added", 4, "0 mismatches")
	if !strings.HasPrefix(added, "109 probes") {
		t.Errorf("after a sixth pod: %q, want 109 probes", added)
	}

	// Deleting the pod completes (the lab plays the kubelet) and the matrix loses it.
	if err := c.Delete(ctx, pod); err != nil {
		t.Fatal(err)
	}
	waitFor("pod deleted", 5, "0 mismatches")
	if err := c.Get(ctx, client.ObjectKeyFromObject(pod), &corev1.Pod{}); err == nil {
		t.Error("the deleted pod is still in the API server")
	}

	// Deleting a namespace removes its pods and then the namespace (the lab plays the namespace controller).
	if err := c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "monitoring"}}); err != nil {
		t.Fatal(err)
	}
	last := waitFor("namespace deleted", 6, "0 mismatches")
	if strings.Contains(out.String()[strings.LastIndex(out.String(), "from ↓ to →"):], "prometheus") {
		t.Error("the last matrix still shows monitoring/prometheus")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := c.Get(ctx, client.ObjectKey{Name: "monitoring"}, &corev1.Namespace{})
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("namespace monitoring was never deleted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("matrices: first %q, last %q", first, last)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("lab: %v", err)
	}
	if _, err := os.Stat(o.Kubeconfig); !os.IsNotExist(err) {
		t.Errorf("kubeconfig left behind: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(state, "nftp-lab-*")); len(left) > 0 {
		t.Errorf("state left behind: %v", left)
	}
}

func kubeClient(t *testing.T, kubeconfig string) client.Client {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func decodeFile(path string, obj any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return yaml.UnmarshalStrict(b, obj)
}

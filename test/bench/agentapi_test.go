package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// agentAPI is a real API server (envtest) holding one Cluster, for the agent benchmarks.
type agentAPI struct {
	cfg        *rest.Config
	c          client.Client // no client-side rate limit
	kubeconfig string        // a file for the agent binary: system:masters on this server
}

// startAgentAPI starts envtest, stopped when b ends, and creates c in it: namespaces, pods with their status
// (addresses, phase Running) and policies.
//
// Every size gets a server of its own rather than one that grows from 5,000 to 50,000 pods: Cluster places
// pod j on node (j/7) mod (pods/100), so the first 5,000 pods of the large cluster are not those of the small
// one, and a pod's node cannot change once set. Creating the 5,000 pods again costs about 15 s.
func startAgentAPI(b *testing.B, assets string, c build.Cluster) *agentAPI {
	b.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		b.Fatalf("start envtest: %v", err)
	}
	b.Cleanup(func() { env.Stop() })
	user, err := env.AddUser(envtest.User{Name: "bench", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		b.Fatalf("envtest user: %v", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		b.Fatal(err)
	}
	a := &agentAPI{cfg: cfg, kubeconfig: filepath.Join(b.TempDir(), "kubeconfig")}
	if err := os.WriteFile(a.kubeconfig, kc, 0o600); err != nil {
		b.Fatal(err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	fast := rest.CopyConfig(cfg)
	fast.QPS, fast.Burst = -1, 0 // the API server takes what it can
	if a.c, err = client.New(fast, client.Options{Scheme: scheme}); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := a.create(context.Background(), b, c); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d namespaces, %d pods (with status), %d policies created in %s", len(c.Namespaces), len(c.Pods),
		len(c.Policies), time.Since(start).Round(time.Millisecond))
	return a
}

func (a *agentAPI) create(ctx context.Context, b *testing.B, c build.Cluster) error {
	for _, ns := range c.Namespaces {
		if err := a.c.Create(ctx, ns.DeepCopy()); err != nil {
			return fmt.Errorf("create namespace %s: %w", ns.Name, err)
		}
	}
	parallel(b, len(c.Pods), func(j int) error { return a.createPod(ctx, c.Pods[j]) })
	parallel(b, len(c.Policies), func(i int) error { return a.c.Create(ctx, c.Policies[i].DeepCopy()) })
	return nil
}

// createPod creates p and then writes its status: the API server ignores the status of a new pod.
func (a *agentAPI) createPod(ctx context.Context, p0 *corev1.Pod) error {
	p := p0.DeepCopy()
	for i := range p.Spec.Containers {
		p.Spec.Containers[i].Image = "bench" // required
	}
	status := p.Status
	if len(status.PodIPs) > 0 {
		status.PodIP = status.PodIPs[0].IP
	}
	if err := a.c.Create(ctx, p); err != nil {
		return fmt.Errorf("create pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	p.Status = status
	if err := a.c.Status().Update(ctx, p); err != nil {
		return fmt.Errorf("status of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

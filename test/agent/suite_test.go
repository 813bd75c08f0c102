package agent

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// envtestVersion is the version hack/envtest/build.sh builds (`make envtest`).
const envtestVersion = "1.37.2"

var (
	testEnv *envtest.Environment
	cfg     *rest.Config  // admin; the agents use it too
	k8s     client.Client // admin
	// certDir holds the API server's certificates. It is ours (not a temporary directory envtest would delete
	// and regenerate on Stop), so the API server can be stopped and started again with the same serving
	// certificate and port, and clients built from cfg keep working.
	certDir string
	// etcdDir is etcd's data directory, ours for the same reason: envtest would delete its own on Stop, and an
	// etcd restarted in the faults specs must come back with the cluster's data.
	etcdDir string
)

func TestAgent(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "nftpolicy agent (envtest + real packets)")
}

// envtestAssets is KUBEBUILDER_ASSETS, or bin/k8s/<version>-<os>-<arch> when `make envtest` built the binaries
// there; "" when neither has them.
func envtestAssets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "bin", "k8s", envtestVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH))
	if err != nil {
		return ""
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return ""
		}
	}
	return dir
}

var _ = BeforeSuite(func() {
	// CI runs as root: a skipped kernel test would pass unnoticed, so not being root fails.
	Expect(os.Geteuid()).To(BeZero(), "the agent suite needs root (network namespaces, nftables)")
	assets := envtestAssets()
	Expect(assets).NotTo(BeEmpty(),
		"no kube-apiserver and etcd: run `make envtest` (builds them offline into bin/) or set KUBEBUILDER_ASSETS")

	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true), zap.Level(zapcore.InfoLevel)))
	SetDefaultEventuallyPollingInterval(20 * time.Millisecond)
	SetDefaultEventuallyTimeout(5 * time.Second)

	var err error
	certDir, err = os.MkdirTemp("", "nftpolicy-agent-apiserver-")
	Expect(err).NotTo(HaveOccurred())
	etcdDir, err = os.MkdirTemp("", "nftpolicy-agent-etcd-")
	Expect(err).NotTo(HaveOccurred())
	apiserver := &envtest.APIServer{CertDir: certDir}
	// On SIGTERM the API server waits for its open connections up to ShutdownTimeout (--request-timeout,
	// 60 s), and the agents' watches keep them open: with --shutdown-send-retry-after it drains the requests in
	// flight and then gives connections 2 s, so the outage specs can stop it in seconds.
	apiserver.Configure().Set("shutdown-send-retry-after", "true")
	testEnv = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		ControlPlane:          envtest.ControlPlane{APIServer: apiserver, Etcd: &envtest.Etcd{DataDir: etcdDir}},
	}
	start := time.Now()
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred(), "start envtest")
	GinkgoWriter.Printf("envtest started in %s\n", time.Since(start).Round(time.Millisecond))

	scheme := apiruntime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
	for _, dir := range []string{certDir, etcdDir} {
		if dir != "" {
			Expect(os.RemoveAll(dir)).To(Succeed())
		}
	}
})

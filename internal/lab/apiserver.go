package lab

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/config/crd"
)

// apiServer is the lab's control plane: envtest's etcd and kube-apiserver, their data under the lab's state
// directory (so that labnet.Cleanup finds and stops them after a crash), with our CRDs installed.
type apiServer struct {
	env        *envtest.Environment
	cfg        *rest.Config
	kubeconfig []byte // of an admin user (system:masters)
}

// startAPIServer starts etcd and kube-apiserver from assets, their state in stateDir; their output goes to log.
func startAPIServer(assets, stateDir string, log io.Writer) (*apiServer, error) {
	crds, err := embeddedCRDs()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		ControlPlane: envtest.ControlPlane{
			Etcd:      &envtest.Etcd{DataDir: filepath.Join(stateDir, "etcd"), Out: log, Err: log},
			APIServer: &envtest.APIServer{CertDir: filepath.Join(stateDir, "apiserver"), Out: log, Err: log},
		},
		CRDInstallOptions:        envtest.CRDInstallOptions{CRDs: crds},
		ControlPlaneStartTimeout: time.Minute,
		ControlPlaneStopTimeout:  20 * time.Second,
	}
	for _, d := range []string{env.ControlPlane.Etcd.DataDir, env.ControlPlane.APIServer.CertDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("API server state: %w", err)
		}
	}
	cfg, err := env.Start()
	if err != nil {
		env.Stop()
		return nil, fmt.Errorf("start kube-apiserver and etcd from %s: %w", assets, err)
	}
	user, err := env.AddUser(envtest.User{Name: "lab-admin", Groups: []string{"system:masters"}}, nil)
	if err == nil {
		var kc []byte
		if kc, err = user.KubeConfig(); err == nil {
			return &apiServer{env: env, cfg: cfg, kubeconfig: kc}, nil
		}
	}
	env.Stop()
	return nil, fmt.Errorf("kubeconfig of the lab's API server: %w", err)
}

// stop stops kube-apiserver and etcd.
func (a *apiServer) stop() error {
	if err := a.env.Stop(); err != nil {
		return fmt.Errorf("stop the API server: %w", err)
	}
	return nil
}

// writeKubeconfig writes the admin kubeconfig to path (mode 0600), creating its directory.
func (a *apiServer) writeKubeconfig(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, a.kubeconfig, 0o600); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return nil
}

// embeddedCRDs parses config/crd/bases.
func embeddedCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var out []*apiextensionsv1.CustomResourceDefinition
	err := fs.WalkDir(crd.Bases, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := crd.Bases.ReadFile(path)
		if err != nil {
			return err
		}
		c := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(b, c); err != nil {
			return fmt.Errorf("CRD %s: %w", path, err)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded CRDs: %w", err)
	}
	return out, nil
}

// ctxDone is a helper for loops that poll.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

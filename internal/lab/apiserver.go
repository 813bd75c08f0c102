package lab

import (
	"bytes"
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

// kubeconfigMarker starts every kubeconfig the lab writes: the lab overwrites and removes only such files.
const kubeconfigMarker = "# written by nftpolicy lab; removed when it ends\n"

// writeKubeconfig writes the admin kubeconfig to path (mode 0600), creating its directory. It refuses to
// replace a file the lab did not write.
func (a *apiServer) writeKubeconfig(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if !labKubeconfig(path) {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("--kubeconfig %s: the file exists and was not written by nftpolicy lab; choose another path", path)
		}
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append([]byte(kubeconfigMarker), a.kubeconfig...), 0o600); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return nil
}

// labKubeconfig says whether path is a regular file a lab wrote.
func labKubeconfig(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	b, err := os.ReadFile(path)
	return err == nil && bytes.HasPrefix(b, []byte(kubeconfigMarker))
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

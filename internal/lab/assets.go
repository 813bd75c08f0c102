package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// envtestVersion is the Kubernetes version hack/envtest/build.sh builds.
const envtestVersion = "1.37.2"

// findAssets returns the directory holding kube-apiserver and etcd: --assets, $KUBEBUILDER_ASSETS, or this
// repository's bin/k8s/<version>-<os>-<arch>, which hack/envtest/build.sh builds (with its progress on progress)
// when it is missing.
func findAssets(ctx context.Context, flagDir string, progress io.Writer) (string, error) {
	for _, d := range []struct{ dir, from string }{{flagDir, "--assets"}, {os.Getenv("KUBEBUILDER_ASSETS"), "$KUBEBUILDER_ASSETS"}} {
		if d.dir == "" {
			continue
		}
		if err := hasAssets(d.dir); err != nil {
			return "", fmt.Errorf("%s %s: %w", d.from, d.dir, err)
		}
		return d.dir, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "bin", "k8s", fmt.Sprintf("%s-%s-%s", envtestVersion, runtime.GOOS, runtime.GOARCH))
	if hasAssets(dir) == nil {
		return dir, nil
	}
	fmt.Fprintf(progress, "lab: building kube-apiserver and etcd %s into %s with hack/envtest/build.sh "+
		"(first run only: 10-15 minutes on 2 cores; progress below)\n", envtestVersion, dir)
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, "hack", "envtest", "build.sh"))
	cmd.Dir, cmd.Stdout, cmd.Stderr = root, progress, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build kube-apiserver and etcd with hack/envtest/build.sh: %w", err)
	}
	if err := hasAssets(dir); err != nil {
		return "", fmt.Errorf("hack/envtest/build.sh ran, but %s: %w", dir, err)
	}
	return dir, nil
}

func hasAssets(dir string) error {
	for _, name := range []string{"kube-apiserver", "etcd"} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("no %s: %w", name, err)
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable file", name)
		}
	}
	return nil
}

// repoRoot finds the nftpolicy repository containing the working directory (go.mod of our module and
// hack/envtest/build.sh).
func repoRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		mod, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil && strings.Contains(string(mod), "module github.com/nftpolicy/nftpolicy\n") {
			if _, err := os.Stat(filepath.Join(d, "hack", "envtest", "build.sh")); err == nil {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", errors.New("kube-apiserver and etcd not found: run the lab from a clone of nftpolicy " +
				"(it builds them with hack/envtest/build.sh), or pass --assets DIR or set KUBEBUILDER_ASSETS")
		}
	}
}

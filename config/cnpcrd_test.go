package config

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cnpModule is the module whose ClusterNetworkPolicy CRD config/crd/bases holds, unchanged.
const (
	cnpModule  = "sigs.k8s.io/network-policy-api"
	cnpCRDFile = "policy.networking.k8s.io_clusternetworkpolicies.yaml"
	cnpCRDName = "clusternetworkpolicies.policy.networking.k8s.io"
)

// cnpModuleDir is where the Go toolchain keeps the module at the version go.mod requires (go list; go mod
// download when it is not in the module cache yet), and that version.
func cnpModuleDir(t *testing.T) (dir, version string) {
	t.Helper()
	var m struct{ Dir, Version string }
	for _, args := range [][]string{{"list", "-m", "-json", cnpModule}, {"mod", "download", "-json", cnpModule}} {
		out, err := exec.Command("go", args...).Output()
		if err != nil {
			t.Fatalf("go %v: %v", args, err)
		}
		if err := json.Unmarshal(out, &m); err != nil {
			t.Fatalf("go %v: %v", args, err)
		}
		if m.Dir != "" {
			return m.Dir, m.Version
		}
	}
	t.Fatalf("%s: not in the module cache", cnpModule)
	return "", ""
}

// TestClusterNetworkPolicyCRDIsTheModules: config/crd/bases holds the experimental-channel CRD of the
// network-policy-api version go.mod requires, byte for byte, so that upgrading the module without running
// hack/sync-cnp-crd.sh fails here rather than installing a CRD the agent's types do not match.
func TestClusterNetworkPolicyCRDIsTheModules(t *testing.T) {
	dir, version := cnpModuleDir(t)
	want, err := os.ReadFile(filepath.Join(dir, "config", "crd", "experimental", cnpCRDFile))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("crd", "bases", cnpCRDFile))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("config/crd/bases/%s is not the experimental CRD of %s %s: run hack/sync-cnp-crd.sh", cnpCRDFile,
			cnpModule, version)
	}
	docs, err := readDocs(filepath.Join("crd", "bases", cnpCRDFile))
	if err != nil || len(docs) != 1 {
		t.Fatalf("%s: %d documents, %v; want one CRD", cnpCRDFile, len(docs), err)
	}
	var crd struct {
		Metadata struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(docs[0], &crd); err != nil {
		t.Fatal(err)
	}
	a := crd.Metadata.Annotations
	if crd.Metadata.Name != cnpCRDName || a["policy.networking.k8s.io/channel"] != "experimental" ||
		a["policy.networking.k8s.io/bundle-version"] != version {
		t.Errorf("CRD %s, annotations %v; want %s, experimental channel, bundle-version %s", crd.Metadata.Name, a,
			cnpCRDName, version)
	}
}

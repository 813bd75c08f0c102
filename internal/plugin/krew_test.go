package plugin

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"
)

// krewManifest is the part of krew's Plugin (v1alpha2) that plugins/nftpolicy.yaml uses.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		Homepage         string `json:"homepage"`
		ShortDescription string `json:"shortDescription"`
		Description      string `json:"description"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// TestKrewManifest: plugins/nftpolicy.yaml is a krew Plugin (no field krew does not know) that installs this
// plugin's binary, kubectl-nftpolicy, on linux/amd64 and linux/arm64.
func TestKrewManifest(t *testing.T) {
	b, err := os.ReadFile("../../plugins/nftpolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m krewManifest
	if err := yaml.UnmarshalStrict(b, &m); err != nil {
		t.Fatalf("plugins/nftpolicy.yaml: %v", err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "nftpolicy" {
		t.Errorf("apiVersion %q, kind %q, name %q", m.APIVersion, m.Kind, m.Metadata.Name)
	}
	// The plugin's name is what follows kubectl: the binary kubectl-<name> is what the root command is called.
	if use := NewCommand(genericiooptions.NewTestIOStreamsDiscard()).Use; use != "kubectl-"+m.Metadata.Name {
		t.Errorf("the root command is %q, the manifest names plugin %q", use, m.Metadata.Name)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m.Spec.Version) || !strings.HasPrefix(m.Spec.Homepage, "https://") ||
		m.Spec.ShortDescription == "" || len(m.Spec.ShortDescription) > 50 || m.Spec.Description == "" {
		t.Errorf("spec: version %q, homepage %q, shortDescription %q, description %d bytes", m.Spec.Version,
			m.Spec.Homepage, m.Spec.ShortDescription, len(m.Spec.Description))
	}
	seen := map[string]bool{}
	hex := regexp.MustCompile(`^[0-9a-f]{64}$`)
	for _, p := range m.Spec.Platforms {
		goos, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		seen[goos+"/"+arch] = true
		if p.Bin != "kubectl-nftpolicy" {
			t.Errorf("%s/%s: bin %q, want kubectl-nftpolicy", goos, arch, p.Bin)
		}
		if !hex.MatchString(p.SHA256) {
			t.Errorf("%s/%s: sha256 %q is not 64 hex digits", goos, arch, p.SHA256)
		}
		if !strings.HasPrefix(p.URI, "https://") || !strings.Contains(p.URI, "/"+m.Spec.Version+"/") ||
			!strings.HasSuffix(p.URI, "_"+goos+"_"+arch+".tar.gz") {
			t.Errorf("%s/%s: uri %q is not the %s archive of %s", goos, arch, p.URI, goos+"_"+arch, m.Spec.Version)
		}
	}
	for _, want := range []string{"linux/amd64", "linux/arm64"} {
		if !seen[want] {
			t.Errorf("no platform %s", want)
		}
	}
	if len(seen) != len(m.Spec.Platforms) {
		t.Errorf("%d platforms for %d os/arch pairs", len(m.Spec.Platforms), len(seen))
	}
}

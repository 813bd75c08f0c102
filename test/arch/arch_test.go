package arch

import (
	"os/exec"
	"strings"
	"testing"
)

// The pure core (IR, builder, compiler, nft model) must import no client-go, controller-runtime or netlink,
// and only nft/kernel may import github.com/google/nftables.
var forbidden = map[string][]string{
	"github.com/nftpolicy/nftpolicy/compiler/ir":    {"k8s.io/", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/compiler":       {"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/compiler/build": {"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/nft":            {"k8s.io/", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func TestPureCoreImports(t *testing.T) {
	for pkg, bad := range forbidden {
		for _, d := range deps(t, pkg) {
			for _, b := range bad {
				if strings.HasPrefix(d, b) {
					t.Errorf("%s depends on %s; the pure core must not", pkg, d)
				}
			}
		}
	}
}

func TestOnlyKernelImportsNftables(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/nftpolicy/nftpolicy/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		for _, imp := range f[1:] {
			if strings.HasPrefix(imp, "github.com/google/nftables") && f[0] != "github.com/nftpolicy/nftpolicy/nft/kernel" {
				t.Errorf("%s imports %s; only nft/kernel may", f[0], imp)
			}
		}
	}
}

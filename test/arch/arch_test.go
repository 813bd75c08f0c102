package arch

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The pure core (IR, builder, compiler, evaluator, nft model and its listing parser) must depend on no client-go, controller-runtime or
// netlink (transitively); kernelOnly below says who may import the netlink libraries at all.
var forbidden = map[string][]string{
	"github.com/nftpolicy/nftpolicy/compiler/ir":    {"k8s.io/", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/compiler":       {"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/compiler/build": {"k8s.io/client-go", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/compiler/eval":  {"k8s.io/", "sigs.k8s.io/", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/nft":            {"k8s.io/", "sigs.k8s.io/controller-runtime", "github.com/google/nftables", "github.com/mdlayher/netlink"},
	"github.com/nftpolicy/nftpolicy/nft/listing":    {"k8s.io/", "sigs.k8s.io/", "github.com/google/nftables", "github.com/mdlayher/netlink"},
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

// netlinkUsers say which packages (their code and their tests) may import each netlink library: one package per
// kernel interface, so every byte sent to it goes through that package. nftables: nft/kernel; NFLOG: nft/nflog;
// conntrack: internal/conntrack.
var netlinkUsers = map[string][]string{
	"github.com/google/nftables": {kernelPkg},
	"github.com/mdlayher/netlink": {kernelPkg, "github.com/nftpolicy/nftpolicy/nft/nflog",
		"github.com/nftpolicy/nftpolicy/internal/conntrack"},
}

const kernelPkg = "github.com/nftpolicy/nftpolicy/nft/kernel"

// TestOnlyKernelImportsNftables checks the direct imports of every package of the module, of its test files and
// of its external (_test package) test files.
func TestOnlyKernelImportsNftables(t *testing.T) {
	const format = `{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}}|{{join .XTestImports " "}}`
	out, err := exec.Command("go", "list", "-f", format, "github.com/nftpolicy/nftpolicy/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 10 {
		t.Fatalf("go list found only %d packages:\n%s", len(lines), out)
	}
	sawKernel := false
	for _, line := range lines {
		f := strings.Split(line, "|")
		if len(f) != 4 {
			t.Fatalf("unexpected go list line %q", line)
		}
		pkg := f[0]
		sawKernel = sawKernel || pkg == kernelPkg
		for i, kind := range []string{"imports", "test files import", "external test files import"} {
			for _, imp := range strings.Fields(f[i+1]) {
				for lib, users := range netlinkUsers {
					if (imp == lib || strings.HasPrefix(imp, lib+"/")) && !slices.Contains(users, pkg) {
						t.Errorf("%s: %s %s; only %v may", pkg, kind, imp, users)
					}
				}
			}
		}
	}
	if !sawKernel {
		t.Errorf("go list did not list %s", kernelPkg)
	}
}

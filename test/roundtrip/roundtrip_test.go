package roundtrip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

func goldenTables(t *testing.T) map[string]*nft.Table {
	t.Helper()
	dirs, err := filepath.Glob("../../compiler/testdata/*/input.yaml")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases found: %v", err)
	}
	out := map[string]*nft.Table{}
	for _, in := range dirs {
		dir := filepath.Dir(in)
		objs, err := manifest.Load([]string{in}, nil)
		if err != nil {
			t.Fatal(err)
		}
		node := ""
		if b, err := os.ReadFile(filepath.Join(dir, "node")); err == nil {
			node = strings.TrimSpace(string(b))
		}
		// Every kind the case holds (ClusterNetworkPolicies and Nodes too), with the case's options, as
		// compiler/golden_test.go compiles want.nft.
		n, err := build.Node(objs.Cluster(), node)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		o := compiler.DefaultOptions
		if b, err := os.ReadFile(filepath.Join(dir, "options")); err == nil {
			for _, word := range strings.Fields(string(b)) {
				if word != "audit" {
					t.Fatalf("%s: options file: unknown option %q (known: audit)", dir, word)
				}
				o.Audit = true
			}
		}
		out[filepath.Base(dir)] = compiler.CompileWith(n, o)
	}
	return out
}

// TestApplyReadEmptyDiff: compile, apply through netlink, read back: nothing left to do.
func TestApplyReadEmptyDiff(t *testing.T) {
	for name, want := range goldenTables(t) {
		t.Run(name, func(t *testing.T) {
			_, path := netnstest.New(t, "rt")
			c, err := kernel.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Sync(want); err != nil {
				t.Fatalf("sync: %v", err)
			}
			got, err := c.Read()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if p := nft.Diff(got, want); !p.Empty() {
				t.Errorf("re-read table differs from the compiled one: %+v\nread back:\n%s", p, got.Text())
			}
		})
	}
}

// TestNftLoadReadEmptyDiff: the rendered text loaded with nft -f reads back as the same table, so the agent can
// adopt a table loaded from `kubectl nftpolicy render` without rewriting it.
func TestNftLoadReadEmptyDiff(t *testing.T) {
	for name, want := range goldenTables(t) {
		t.Run(name, func(t *testing.T) {
			ns, path := netnstest.New(t, "rt")
			if _, err := netnstest.Exec(t, ns, want.Text(), "nft", "-f", "-"); err != nil {
				t.Fatalf("nft -f: %v", err)
			}
			c, err := kernel.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := c.Read()
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if p := nft.Diff(got, want); !p.Empty() {
				t.Errorf("table loaded by nft -f reads back differently: %+v\nread back:\n%s", p, got.Text())
			}
		})
	}
}

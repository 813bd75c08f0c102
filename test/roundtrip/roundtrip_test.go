package roundtrip

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// newNetns creates a uniquely named network namespace, removed when the test ends.
func newNetns(t *testing.T) (name, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("needs root: programs nftables in a network namespace it creates (CI runs as root)")
	}
	b := make([]byte, 4)
	rand.Read(b)
	name = "nftp-rt-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return name, "/run/netns/" + name
}

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
		n, err := build.Node(build.Cluster{Namespaces: objs.Namespaces, Pods: objs.Pods, Policies: objs.Policies}, node)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		out[filepath.Base(dir)] = compiler.Compile(n)
	}
	return out
}

// TestApplyReadEmptyDiff: compile, apply through netlink, read back: nothing left to do.
func TestApplyReadEmptyDiff(t *testing.T) {
	for name, want := range goldenTables(t) {
		t.Run(name, func(t *testing.T) {
			_, path := newNetns(t)
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
			ns, path := newNetns(t)
			cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
			cmd.Stdin = strings.NewReader(want.Text())
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nft -f: %v: %s", err, out)
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

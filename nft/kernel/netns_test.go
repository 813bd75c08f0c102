package kernel

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Every test works in a network namespace of its own, created here and deleted when the test ends (even when it
// fails). Nothing is ever programmed in the machine's own namespace: the only nft commands run through
// `ip netns exec`.

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("these tests need root: they create network namespaces and program nftables in them")
	}
}

// newNetns creates a uniquely named namespace and returns its name and path.
func newNetns(t testing.TB) (name, path string) {
	t.Helper()
	requireRoot(t)
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	name = "nftp-k-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name, "/run/netns/" + name
}

// openNetns creates a namespace and a Conn in it.
func openNetns(t testing.TB) (*Conn, string) {
	t.Helper()
	name, path := newNetns(t)
	c, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, name
}

// nftIn runs nft inside the namespace ns, with stdin as its input.
func nftIn(t testing.TB, ns, stdin string, args ...string) string {
	t.Helper()
	if ns == "" {
		t.Fatal("refusing to run nft outside a test namespace")
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns, "nft"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns exec %s nft %s: %v\n%s", ns, strings.Join(args, " "), err, out)
	}
	return string(out)
}

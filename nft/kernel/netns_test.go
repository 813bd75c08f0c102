package kernel

import (
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
)

// Every test works in a network namespace of its own, created by netnstest.New and deleted when the test ends
// (even when it fails). Nothing is ever programmed in the machine's own namespace: the only nft commands run
// through netnstest.Exec, which refuses any namespace that is not a test's.

// openNetns creates a namespace and a Conn in it.
func openNetns(t testing.TB) (*Conn, string) {
	t.Helper()
	name, path := netnstest.New(t, "k")
	c, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, name
}

// nftIn runs nft inside the namespace ns, with stdin as its input, and returns its output.
func nftIn(t testing.TB, ns, stdin string, args ...string) string {
	t.Helper()
	out, err := netnstest.Exec(t, ns, stdin, append([]string{"nft"}, args...)...)
	if err != nil {
		t.Fatalf("nft %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

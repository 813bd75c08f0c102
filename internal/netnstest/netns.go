package netnstest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Prefix starts the name of every namespace New creates (and the only names
// Exec accepts); `make clean-netns` removes leftovers by it.
const Prefix = "nftp-"

// dir is where `ip netns` keeps its named namespaces.
const dir = "/run/netns"

// New creates the network namespace nftp-<prefix>-<random> and returns its
// name and its path (/run/netns/<name>, for setns or kernel.Open). It is
// deleted in t.Cleanup, also when the test fails. Not being root is fatal.
func New(t testing.TB, prefix string) (name, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it creates a network namespace of its own (CI runs as root)")
	}
	if prefix == "" || strings.ContainsAny(prefix, "/ \t\n") {
		t.Fatalf("netnstest.New: bad prefix %q", prefix)
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("netnstest.New: %v", err)
	}
	name = Prefix + prefix + "-" + hex.EncodeToString(b)
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v: %s", name, err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, bytes.TrimSpace(out))
		}
	})
	return name, filepath.Join(dir, name)
}

// Exec runs argv inside the namespace name (`ip netns exec name argv...`)
// with stdin as its standard input and returns its standard output. The
// error, if any, carries the command line and its standard error. A name
// that is not a test namespace (nftp-...) is refused without running
// anything.
func Exec(t testing.TB, name, stdin string, argv ...string) (string, error) {
	t.Helper()
	if !strings.HasPrefix(name, Prefix) || strings.ContainsAny(name, "/ \t\n") {
		return "", fmt.Errorf("refusing to run %q outside a test namespace (got netns %q)", strings.Join(argv, " "), name)
	}
	if len(argv) == 0 {
		return "", fmt.Errorf("netns %s: no command", name)
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", name}, argv...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("ip netns exec %s %s: %w: %s", name, strings.Join(argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

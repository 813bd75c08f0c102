package kernel

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
)

// capsChildEnv marks the test binary's second run, inside the namespace with the capabilities under test.
const capsChildEnv = "NFTPOLICY_CAPS_CHILD"

// TestNetAdminIsEnough runs the kernel layer in a process that holds CAP_NET_ADMIN and nothing else — root's
// implicit capabilities switched off (securebits noroot), the bounding set reduced to it — as the DaemonSet does:
// a first sync of 20,000 elements (large enough to need the socket buffers raised, SO_SNDBUFFORCE), an
// incremental sync, a read back, a delete. The same with no capability at all must fail, which shows the
// process really is confined.
func TestNetAdminIsEnough(t *testing.T) {
	if os.Getenv(capsChildEnv) != "" {
		capsChild(t)
		return
	}
	name, _ := netnstest.New(t, "caps")
	run := func(caps string) (string, error) {
		cmd := exec.Command("ip", "netns", "exec", name, "setpriv",
			"--securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked,+keep_caps_locked",
			"--inh-caps=-all"+caps, "--ambient-caps=-all"+caps, "--bounding-set=-all"+caps,
			"--", os.Args[0], "-test.run=^TestNetAdminIsEnough$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), capsChildEnv+"=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(",+net_admin")
	if err != nil {
		t.Fatalf("with CAP_NET_ADMIN only: %v\n%s", err, out)
	}
	if !strings.Contains(out, "CapEff: 0000000000001000") || !strings.Contains(out, "--- PASS") {
		t.Fatalf("the child did not run with exactly CAP_NET_ADMIN:\n%s", out)
	}
	if out, err := run(""); err == nil || !strings.Contains(out, "operation not permitted") {
		t.Fatalf("with no capability the kernel layer worked (or failed otherwise): %v\n%s", err, out)
	}
}

// capsChild is the confined run: everything the agent does to the kernel, in the namespace it was started in.
func capsChild(t *testing.T) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "CapEff:") {
			fmt.Println("CapEff:", strings.TrimSpace(strings.TrimPrefix(l, "CapEff:")))
		}
	}
	c, err := Open("")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first := bigTable(20000, 0)
	if _, err := c.Sync(first); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	next := bigTable(20001, 0)
	if _, err := c.Sync(next); err != nil {
		t.Fatalf("incremental sync: %v", err)
	}
	got, err := c.Read()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if p := nft.Diff(got, next); !p.Empty() {
		t.Fatalf("read back differs from what was synced: %+v", p)
	}
	if err := c.Delete(); err != nil {
		t.Fatalf("delete: %v", err)
	}
}

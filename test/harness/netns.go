package harness

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// netnsPrefix starts the name of every network namespace the harness creates.
const netnsPrefix = "nftp-"

// netnsDir is where `ip netns` keeps its named namespaces.
const netnsDir = "/run/netns"

// newClusterID returns a fresh prefix for one cluster's namespaces, e.g.
// "nftp-3fa9c1".
func newClusterID() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random cluster id: %w", err)
	}
	return netnsPrefix + hex.EncodeToString(b[:]), nil
}

func netnsPath(name string) string { return filepath.Join(netnsDir, name) }

// checkOwned refuses any namespace name the harness did not make, so that
// no command can ever land in the root network namespace by mistake.
func checkOwned(name string) error {
	if !strings.HasPrefix(name, netnsPrefix) || strings.ContainsAny(name, "/ \t\n") {
		return fmt.Errorf("netns %q is not a harness namespace", name)
	}
	return nil
}

// addNetns creates the named namespaces with one `ip -batch` run.
func addNetns(names []string) error {
	var b strings.Builder
	for _, n := range names {
		if err := checkOwned(n); err != nil {
			return err
		}
		fmt.Fprintf(&b, "netns add %s\n", n)
	}
	if err := run(nil, b.String(), "ip", "-batch", "-"); err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	return nil
}

// delNetns deletes the named namespaces that exist; it keeps going past
// errors and reports the first.
func delNetns(names []string) error {
	var b strings.Builder
	for _, n := range names {
		if checkOwned(n) != nil {
			continue
		}
		if _, err := os.Stat(netnsPath(n)); err != nil {
			continue
		}
		fmt.Fprintf(&b, "netns del %s\n", n)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := run(nil, b.String(), "ip", "-force", "-batch", "-"); err != nil {
		return fmt.Errorf("delete namespaces: %w", err)
	}
	return nil
}

// ipBatch runs iproute2 commands (one per line, without the leading "ip")
// inside the namespace ns.
func ipBatch(ns string, lines []string) error {
	if err := checkOwned(ns); err != nil {
		return err
	}
	in := strings.Join(lines, "\n") + "\n"
	if err := run(nil, in, "ip", "-n", ns, "-batch", "-"); err != nil {
		return fmt.Errorf("netns %s: %w", ns, err)
	}
	return nil
}

// execIn runs a program inside the namespace ns via `ip netns exec` and
// returns its standard output.
func execIn(ns, stdin string, argv ...string) (string, error) {
	if err := checkOwned(ns); err != nil {
		return "", err
	}
	var out bytes.Buffer
	args := append([]string{"netns", "exec", ns}, argv...)
	if err := run(&out, stdin, "ip", args...); err != nil {
		return out.String(), fmt.Errorf("netns %s: %w", ns, err)
	}
	return out.String(), nil
}

// run executes a command; its error carries the command's standard error.
func run(stdout *bytes.Buffer, stdin, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// inNetns runs fn on the current goroutine's OS thread after switching that
// thread into the network namespace at path, then switches it back. Sockets
// created inside fn belong to that namespace for their whole life and may be
// used from any goroutine afterwards. If the thread cannot be switched back,
// it stays locked, so the Go runtime throws it away when the goroutine ends
// instead of reusing it in the wrong namespace.
func inNetns(path string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open current netns: %w", err)
	}
	defer unix.Close(orig)
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open netns %s: %w", path, err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns %s: %w", path, err)
	}
	ferr := fn()
	if err := unix.Setns(orig, unix.CLONE_NEWNET); err != nil {
		// Deliberately no UnlockOSThread: the thread dies with the goroutine.
		return fmt.Errorf("leave netns %s: %w", path, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// setSysctls writes sysctls (dotted keys) inside the namespace ns.
func setSysctls(ns string, kv [][2]string) error {
	if err := checkOwned(ns); err != nil {
		return err
	}
	return inNetns(netnsPath(ns), func() error {
		for _, e := range kv {
			p := "/proc/sys/" + strings.ReplaceAll(e[0], ".", "/")
			if err := os.WriteFile(p, []byte(e[1]), 0o644); err != nil {
				return fmt.Errorf("netns %s: sysctl %s=%s: %w", ns, e[0], e[1], err)
			}
		}
		return nil
	})
}

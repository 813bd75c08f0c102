package netns

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Add creates the named namespaces with one `ip -batch` run.
func Add(names ...string) error {
	var b strings.Builder
	for _, n := range names {
		if err := CheckOwned(n); err != nil {
			return err
		}
		fmt.Fprintf(&b, "netns add %s\n", n)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := run(nil, b.String(), "ip", "-batch", "-"); err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	return nil
}

// Delete deletes those of the named namespaces that exist, with one
// `ip -force -batch` run (it keeps going past errors). Names that are not
// nftp- namespaces are skipped.
func Delete(names ...string) error {
	var b strings.Builder
	for _, n := range names {
		if CheckOwned(n) != nil {
			continue
		}
		if _, err := os.Stat(Path(n)); err != nil {
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

// Batch runs iproute2 commands (one per line, without the leading "ip")
// inside the namespace ns with one `ip -n ns -batch -` run.
func Batch(ns string, lines []string) error {
	if err := CheckOwned(ns); err != nil {
		return err
	}
	in := strings.Join(lines, "\n") + "\n"
	if err := run(nil, in, "ip", "-n", ns, "-batch", "-"); err != nil {
		return fmt.Errorf("netns %s: %w", ns, err)
	}
	return nil
}

// Exec runs a program inside the namespace ns via `ip netns exec` with
// stdin as its standard input and returns its standard output; the error
// carries the command line and its standard error.
func Exec(ns, stdin string, argv ...string) (string, error) {
	if err := CheckOwned(ns); err != nil {
		return "", err
	}
	if len(argv) == 0 {
		return "", fmt.Errorf("netns %s: no command", ns)
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

package labnet

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCleanup: a lab whose pid file names a dead process loses its
// processes, namespaces and directory; a lab whose process runs is left
// alone and reported; a lab directory with a garbled pid file goes; other
// entries of the state root stay.
func TestCleanup(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	newLab := func() *Net {
		n, err := New(Config{StateRoot: root, ProbeTimeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := n.Close(); err != nil {
				t.Errorf("close %s: %v", n.ID(), err)
			}
		})
		mustAddPod(t, n, "x/a", "10.1.0.10")
		mustAddPod(t, n, "x/b", "10.1.0.11")
		return n
	}
	dead, live := newLab(), newLab()

	// A pid that names no process: one of ours that has exited and been
	// reaped.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead.StateDir(), "pid"), []byte(itoa(gone.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A process of the dead lab, like its etcd: its command line names a
	// path under the lab's directory.
	logFile := filepath.Join(dead.StateDir(), "etcd", "log")
	if err := os.MkdirAll(filepath.Dir(logFile), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	orphan := exec.Command("tail", "-f", logFile)
	if err := orphan.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { orphan.Process.Kill(); orphan.Wait() })
	// The live lab's process is this one; a process mentioning its
	// directory must survive.
	keeper := exec.Command("tail", "-f", filepath.Join(live.StateDir(), "pid"))
	if err := keeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keeper.Process.Kill(); keeper.Wait() })

	garbled := filepath.Join(root, "nftp-lab-00c0de")
	other := filepath.Join(root, "keep-me")
	for dir, pid := range map[string]string{garbled: "not a pid", other: "1"} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(pid), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	var out bytes.Buffer
	if err := Cleanup(root, &out); err != nil {
		t.Fatalf("Cleanup: %v\n%s", err, out.String())
	}
	t.Logf("Cleanup wrote:\n%s", out.String())
	for _, line := range []string{
		"killed process " + itoa(orphan.Process.Pid) + " (tail)\n",
		"deleted netns " + dead.ID() + "-node\n",
		"deleted netns " + dead.ID() + "-p0\n",
		"deleted netns " + dead.ID() + "-p1\n",
		"removed " + dead.StateDir() + "\n",
		"removed " + garbled + "\n",
		"lab " + live.ID() + ": process " + itoa(os.Getpid()) + " is running, left alone\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("Cleanup output lacks %q", line)
		}
	}
	var exit *exec.ExitError
	if err := orphan.Wait(); !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Errorf("the dead lab's process: %v, want killed", err)
	}
	if got := labNetns(t, dead.ID()); len(got) != 0 {
		t.Errorf("dead lab's namespaces left: %v", got)
	}
	for _, dir := range []string{dead.StateDir(), garbled} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s left: %v", dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(other, "pid")); err != nil {
		t.Errorf("Cleanup touched %s: %v", other, err)
	}
	if got := labNetns(t, live.ID()); len(got) != 3 {
		t.Errorf("live lab's namespaces: %v", got)
	}
	if st, err := readStat(keeper.Process.Pid); err != nil || st.state == 'Z' {
		t.Error("Cleanup killed a process of the live lab")
	}
	if ok, err := live.Probe(context.Background(), "x/a", netip.MustParseAddr("10.1.0.11"), Port{TCP, 80}); !ok || err != nil {
		t.Errorf("live lab after Cleanup: %v, %v", ok, err)
	}
	// Nothing left to do; a missing root is nothing to do either.
	out.Reset()
	if err := Cleanup(root, &out); err != nil || strings.Count(out.String(), "\n") != 1 {
		t.Errorf("second Cleanup: %v\n%s", err, out.String())
	}
	if err := Cleanup(filepath.Join(root, "absent"), &out); err != nil {
		t.Errorf("Cleanup of a missing root: %v", err)
	}
}

// TestLabAlive: a running process is alive, one that started after the pid
// file was written (a reused pid) is not, nor is pid 0.
func TestLabAlive(t *testing.T) {
	if !labAlive(os.Getpid(), time.Now()) {
		t.Error("this process is not alive")
	}
	if labAlive(os.Getpid(), time.Now().Add(-24*time.Hour)) {
		t.Error("a pid file older than its process counts as alive")
	}
	if labAlive(0, time.Now()) || labAlive(-1, time.Now()) {
		t.Error("pid <= 0 is alive")
	}
}

package labnet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// userHZ is the unit of /proc/<pid>/stat times (USER_HZ, 100 on Linux).
const userHZ = 100

// labAlive tells whether the process named by a lab's pid file is running:
// it exists, is no zombie, and did not start after the pid file was
// written (then the pid was reused by another process). Unknown start
// times count as alive.
func labAlive(pid int, written time.Time) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, err := readStat(pid)
	if err != nil {
		return !os.IsNotExist(err)
	}
	if st.state == 'Z' || st.state == 'X' {
		return false
	}
	if start, ok := st.startTime(); ok && start.After(written.Add(2*time.Second)) {
		return false
	}
	return true
}

type procStat struct {
	state     byte
	startTick uint64 // clock ticks after boot
}

// readStat parses /proc/<pid>/stat: state is the field after the command
// name (which may hold spaces and parentheses), starttime the 22nd field.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat: starttime: %w", pid, err)
	}
	return procStat{state: f[0][0], startTick: start}, nil
}

func (s procStat) startTime() (time.Time, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			boot, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(boot, 0).Add(time.Duration(s.startTick) * time.Second / userHZ), true
		}
	}
	return time.Time{}, false
}

// processesMentioning returns the pids (other than this process) whose
// command line mentions dir as a whole path component sequence: dir itself
// or anything under it.
func processesMentioning(dir string) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	needle := []byte(dir)
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if mentions(cmd, needle) {
			out = append(out, pid)
		}
	}
	return out
}

// mentions tells whether dir occurs in cmd not followed by a character
// that would make it a longer name (e.g. /x/lab-1 in /x/lab-12).
func mentions(cmd, dir []byte) bool {
	for off := 0; ; {
		i := bytes.Index(cmd[off:], dir)
		if i < 0 {
			return false
		}
		end := off + i + len(dir)
		if end == len(cmd) || !isNameByte(cmd[end]) {
			return true
		}
		off += i + 1
	}
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
}

// killAndWait sends SIGKILL to pid and waits up to wait for it to be gone
// (or a zombie, which its parent has yet to reap).
func killAndWait(pid int, wait time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("kill %d: %w", pid, err)
	}
	deadline := time.Now().Add(wait)
	for {
		st, err := readStat(pid)
		if err != nil || st.state == 'Z' || st.state == 'X' {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("process %d still running %v after SIGKILL", pid, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// procName returns the command name of pid for messages.
func procName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

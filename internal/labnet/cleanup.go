package labnet

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// killWait bounds how long Cleanup waits for a killed process to go.
const killWait = 5 * time.Second

// Cleanup removes the leftovers of labs whose process is gone: for every
// StateRoot/<id>/ (id as New makes them; other entries are not touched)
// whose pid file names a process that is not running (or that has no or a
// garbled pid file), it kills (SIGKILL) the processes whose
// /proc/<pid>/cmdline mentions that state directory, deletes every
// namespace named "<id>-*", and removes the directory. Labs whose process
// is alive are left alone and reported. It writes one line per thing
// removed to w and returns what it could not remove, joined. A missing
// stateRoot is nothing to do.
func Cleanup(stateRoot string, w io.Writer) error {
	if stateRoot == "" {
		stateRoot = DefaultStateRoot
	}
	root, err := filepath.Abs(stateRoot)
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	ents, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("cleanup: %w", err)
	}
	var errs []error
	for _, e := range ents {
		if !e.IsDir() || !labIDPattern.MatchString(e.Name()) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if pid, alive := labProcess(dir); alive {
			fmt.Fprintf(w, "lab %s: process %d is running, left alone\n", e.Name(), pid)
			continue
		}
		if err := cleanupLab(e.Name(), dir, w); err != nil {
			errs = append(errs, fmt.Errorf("lab %s: %w", e.Name(), err))
		}
	}
	return errors.Join(errs...)
}

// labProcess reads dir's pid file and tells whether that process runs.
func labProcess(dir string) (int, bool) {
	p := filepath.Join(dir, pidFile)
	fi, err := os.Stat(p)
	if err != nil {
		return 0, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, false
	}
	return pid, labAlive(pid, fi.ModTime())
}

// cleanupLab kills the lab's processes, then deletes its namespaces, then
// its directory (kept if anything before failed, for the next Cleanup).
func cleanupLab(id, dir string, w io.Writer) error {
	var errs []error
	for _, pid := range processesMentioning(dir) {
		name := procName(pid)
		if err := killAndWait(pid, killWait); err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(w, "killed process %d (%s)\n", pid, name)
	}
	matches, err := filepath.Glob(netns.Path(id + "-*"))
	if err != nil {
		errs = append(errs, err)
	}
	var names []string
	for _, m := range matches {
		names = append(names, filepath.Base(m))
	}
	slices.Sort(names)
	if err := netns.Delete(names...); err != nil {
		errs = append(errs, err)
	}
	for _, name := range names {
		if _, err := os.Stat(netns.Path(name)); err != nil {
			fmt.Fprintf(w, "deleted netns %s\n", name)
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	fmt.Fprintf(w, "removed %s\n", dir)
	return nil
}

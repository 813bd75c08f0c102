package netperf

import (
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"
)

// rtPriority is the SCHED_FIFO priority of the measuring threads: above every ordinary thread, below the
// kernel's own real-time threads (migration, watchdogs at 99).
const rtPriority = 10

// pinned runs fn on a new OS thread inside the network namespace at netnsPath, pinned to cpu and with
// real-time priority, and returns fn's error. The thread is discarded when fn returns (its goroutine ends
// while locked), so no other goroutine ever runs in that namespace, on that CPU, at that priority.
func pinned(netnsPath string, cpu int, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		if err := enter(netnsPath, cpu); err != nil {
			done <- err
			return
		}
		done <- fn()
	}()
	return <-done
}

// enter moves the calling thread into the namespace, onto cpu, at real-time priority.
func enter(netnsPath string, cpu int) error {
	fd, err := unix.Open(netnsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open netns %s: %w", netnsPath, err)
	}
	defer unix.Close(fd)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter netns %s: %w", netnsPath, err)
	}
	var set unix.CPUSet
	set.Set(cpu)
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("pin thread to CPU %d: %w", cpu, err)
	}
	attr := unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_FIFO, Priority: rtPriority}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		return fmt.Errorf("real-time priority: %w", err)
	}
	return nil
}

package controllers

import (
	"fmt"
	"net"
	"net/netip"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/internal/conntrack"
)

// netnsStrictMode is strict mode in the network namespace at path ("" = the agent's own). The conntrack socket
// is opened for each pass and closed after it: passes follow policy changes, and a socket per pass needs no
// closing when the agent stops.
func netnsStrictMode(path string) *strictMode {
	return &strictMode{
		open: func() (conntrackTable, error) {
			c, err := conntrack.Open(path)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		ownAddrs: func() ([]netip.Addr, error) { return interfaceAddrs(path) },
	}
}

// interfaceAddrs lists the addresses of every interface of the network namespace at path ("" = the caller's).
func interfaceAddrs(path string) ([]netip.Addr, error) {
	var addrs []net.Addr
	err := inNetns(path, func() (err error) {
		addrs, err = net.InterfaceAddrs()
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip := ipn.IP
		if v4 := ip.To4(); v4 != nil && len(ipn.Mask) == net.IPv4len {
			ip = v4 // an IPv4 address, not an IPv4-mapped IPv6 one: conntrack lists it in 4 bytes
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, addr)
		}
	}
	return out, nil
}

// inNetns runs fn on a thread that has entered the network namespace at path, so that the sockets fn makes
// (here: net.InterfaceAddrs's route socket) live there. internal/netns has the same for tests and the lab; the
// agent cannot import it, as that package also runs programs (test/arch).
func inNetns(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	runtime.LockOSThread()
	self, err := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open the current network namespace: %w", err)
	}
	defer unix.Close(self)
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open network namespace %s: %w", path, err)
	}
	defer unix.Close(target)
	if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter network namespace %s: %w", path, err)
	}
	ferr := fn()
	if err := unix.Setns(self, unix.CLONE_NEWNET); err != nil {
		// No UnlockOSThread: a thread left in another namespace must die with its goroutine.
		return fmt.Errorf("leave network namespace %s: %w", path, err)
	}
	runtime.UnlockOSThread()
	return ferr
}

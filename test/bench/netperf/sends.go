package netperf

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// Sends sends n one-byte UDP datagrams to dst from a socket bound to the client's address and returns the time
// of each sendto. Forwarding runs in the sender's context on return from the call (veth hands the packet to
// the backlog, processed before the system call returns), so on a testbed whose policy drops the datagram the
// time includes the node's filtering up to the drop: it is how the benchmark sees what a dropped packet costs.
func (c Client) Sends(dst netip.AddrPort, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	err := pinned(c.Netns, c.CPU, func() error {
		ssa, family := sockaddr(netip.AddrPortFrom(c.Addr, 0))
		dsa, _ := sockaddr(dst)
		fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, ssa); err != nil {
			return fmt.Errorf("bind %s: %w", c.Addr, err)
		}
		b := [1]byte{'x'}
		for i := 0; i < n; i++ {
			t0 := time.Now()
			err := unix.Sendto(fd, b[:], 0, dsa)
			// An ICMP error from an earlier datagram (nothing listens on dst when nothing drops it) is reported
			// on this call; the datagram was still sent.
			if err != nil && !errors.Is(err, unix.ECONNREFUSED) {
				return fmt.Errorf("sendto %s, datagram %d: %w", dst, i, err)
			}
			out = append(out, time.Since(t0))
		}
		return nil
	})
	return out, err
}

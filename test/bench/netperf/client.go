package netperf

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"golang.org/x/sys/unix"
)

// ioTimeout bounds every connect and read of a client: the flows it measures are allowed ones.
const ioTimeout = 3 * time.Second

// Client measures from inside one network namespace, on a pinned real-time thread.
type Client struct {
	Netns string     // path of the client's network namespace
	CPU   int        // the CPU the client and the server share
	Addr  netip.Addr // the client's own address, bound explicitly with each port
}

// Connects opens, uses and closes n TCP connections to dst one after the other and returns the time each took:
// socket, connect, a one-byte write, the one-byte echo read, close. Connection i binds source port
// ports[0]+i, so a measurement never reuses a port of an earlier one (no TIME_WAIT or conntrack entry is met
// again); ports[1] bounds the range.
func (c Client) Connects(dst netip.AddrPort, ports [2]uint16, n int) ([]time.Duration, error) {
	if int(ports[1])-int(ports[0])+1 < n {
		return nil, fmt.Errorf("%d connections need %d ports, range %d-%d has fewer", n, n, ports[0], ports[1])
	}
	out := make([]time.Duration, 0, n)
	err := pinned(c.Netns, c.CPU, func() error {
		for i := 0; i < n; i++ {
			src := netip.AddrPortFrom(c.Addr, ports[0]+uint16(i))
			t0 := time.Now()
			fd, err := dial(src, dst)
			if err != nil {
				return err
			}
			err = exchange(fd)
			unix.Close(fd)
			if err != nil {
				return fmt.Errorf("%s -> %s: %w", src, dst, err)
			}
			out = append(out, time.Since(t0))
		}
		return nil
	})
	return out, err
}

// RoundTrips opens one connection from source port srcPort to dst and returns the time of each of n one-byte
// request/response exchanges on it.
func (c Client) RoundTrips(dst netip.AddrPort, srcPort uint16, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	err := pinned(c.Netns, c.CPU, func() error {
		src := netip.AddrPortFrom(c.Addr, srcPort)
		fd, err := dial(src, dst)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			t0 := time.Now()
			if err := exchange(fd); err != nil {
				return fmt.Errorf("%s -> %s, exchange %d: %w", src, dst, i, err)
			}
			out = append(out, time.Since(t0))
		}
		return nil
	})
	return out, err
}

// dial connects a blocking TCP socket bound to src to dst.
func dial(src, dst netip.AddrPort) (int, error) {
	ssa, family := sockaddr(src)
	dsa, _ := sockaddr(dst)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	// A dropped SYN or echo must fail the measurement within seconds, not hang for the kernel's retries.
	tv := unix.NsecToTimeval(ioTimeout.Nanoseconds())
	for _, opt := range []int{unix.SO_SNDTIMEO, unix.SO_RCVTIMEO} {
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, opt, &tv); err != nil {
			unix.Close(fd)
			return -1, err
		}
	}
	if err := unix.Bind(fd, ssa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind %s: %w", src, err)
	}
	for {
		err = unix.Connect(fd, dsa)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if errors.Is(err, unix.EINPROGRESS) { // SO_SNDTIMEO expired
		err = fmt.Errorf("no answer within %s", ioTimeout)
	}
	if err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("connect %s -> %s: %w", src, dst, err)
	}
	return fd, nil
}

// exchange writes one byte and reads its echo.
func exchange(fd int) error {
	b := [1]byte{'x'}
	if _, err := unix.Write(fd, b[:]); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	for {
		n, err := unix.Read(fd, b[:])
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case err != nil:
			return fmt.Errorf("read: %w", err)
		case n == 0:
			return errors.New("read: connection closed by the server")
		}
		return nil
	}
}

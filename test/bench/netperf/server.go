package netperf

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// Server accepts TCP connections one at a time and echoes every byte it reads until the client closes.
type Server struct {
	fd   int
	done chan error
}

// Serve starts a server listening on addr inside the network namespace at netnsPath, on a pinned real-time
// thread (see the package doc). Close stops it.
func Serve(netnsPath string, cpu int, addr netip.AddrPort) (*Server, error) {
	s := &Server{fd: -1, done: make(chan error, 1)}
	ready := make(chan error, 1)
	go func() {
		s.done <- pinned(netnsPath, cpu, func() error {
			fd, err := listen(addr)
			if err != nil {
				ready <- err
				return nil
			}
			s.fd = fd
			ready <- nil
			return s.loop()
		})
	}()
	if err := <-ready; err != nil {
		return nil, fmt.Errorf("serve %s in %s: %w", addr, netnsPath, err)
	}
	return s, nil
}

func listen(addr netip.AddrPort) (int, error) {
	sa, family := sockaddr(addr)
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind: %w", err)
	}
	if err := unix.Listen(fd, 128); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("listen: %w", err)
	}
	return fd, nil
}

// loop serves connections until the listening socket is shut down.
func (s *Server) loop() error {
	defer unix.Close(s.fd)
	buf := make([]byte, 64)
	for {
		c, _, err := unix.Accept4(s.fd, unix.SOCK_CLOEXEC)
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.ECONNABORTED):
			continue
		case errors.Is(err, unix.EINVAL): // shut down by Close
			return nil
		case err != nil:
			return fmt.Errorf("accept: %w", err)
		}
		// A client that gave up must not hold the server (and Close) for ever.
		tv := unix.NsecToTimeval(ioTimeout.Nanoseconds())
		if err := unix.SetsockoptTimeval(c, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err == nil {
			echo(c, buf)
		}
		unix.Close(c)
	}
}

// echo writes back what it reads until the peer closes or the connection fails.
func echo(fd int, buf []byte) {
	for {
		n, err := unix.Read(fd, buf)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil || n == 0 {
			return
		}
		if _, err := unix.Write(fd, buf[:n]); err != nil {
			return
		}
	}
}

// Close stops the server and waits for its thread to end. A connection being served is finished first (the
// clients of this package always close theirs).
func (s *Server) Close() error {
	if err := unix.Shutdown(s.fd, unix.SHUT_RDWR); err != nil {
		return fmt.Errorf("stop server: %w", err)
	}
	return <-s.done
}

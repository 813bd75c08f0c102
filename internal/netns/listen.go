package netns

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// ListenSpec says which probe targets Listen opens in a namespace.
type ListenSpec struct {
	TCP []uint16 // a listener per port that accepts and closes every connection
	UDP []uint16 // a server per port that echoes every datagram
	// SCTP lists the address families (4, 6) to open a raw SCTP receiver
	// for; it sees INITs to every port, so the caller decides which ports
	// count as listening.
	SCTP []int
	// UDPSeen, if set, is called with every datagram a UDP server
	// receives, before it is echoed.
	UDPSeen func(port uint16, payload []byte)
}

// Listeners are the sockets Listen opened in one namespace.
type Listeners struct {
	sctp [2]*SCTPReceiver // [0] IPv4, [1] IPv6

	mu      sync.Mutex
	closers []io.Closer
}

// Listen opens spec's sockets inside the namespace at path (wildcard
// addresses, dual-stack) and serves them from goroutines until Close. On
// error it closes what it opened.
func Listen(path string, spec ListenSpec) (*Listeners, error) {
	l := &Listeners{}
	err := InNetns(path, func() error {
		for _, port := range spec.TCP {
			ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
			if err != nil {
				return fmt.Errorf("tcp listener on port %d: %w", port, err)
			}
			l.closers = append(l.closers, ln)
			go AcceptLoop(ln)
		}
		for _, port := range spec.UDP {
			pc, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port))
			if err != nil {
				return fmt.Errorf("udp listener on port %d: %w", port, err)
			}
			l.closers = append(l.closers, pc)
			var seen func([]byte)
			if spec.UDPSeen != nil {
				seen = func(b []byte) { spec.UDPSeen(port, b) }
			}
			go EchoLoop(pc, seen)
		}
		for _, fam := range spec.SCTP {
			if fam != 4 && fam != 6 {
				return fmt.Errorf("sctp receiver: bad address family %d", fam)
			}
			rx, err := NewSCTPReceiver(fam)
			if err != nil {
				return err
			}
			l.closers = append(l.closers, rx)
			l.sctp[fam/6] = rx
			go rx.Loop()
		}
		return nil
	})
	if err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// SCTP returns the raw SCTP receiver of the family (4 or 6), or nil.
func (l *Listeners) SCTP(family int) *SCTPReceiver {
	switch family {
	case 4:
		return l.sctp[0]
	case 6:
		return l.sctp[1]
	}
	return nil
}

// Close closes every socket; it is safe to call more than once.
func (l *Listeners) Close() error {
	l.mu.Lock()
	cls := l.closers
	l.closers = nil
	l.mu.Unlock()
	var errs []error
	for _, c := range cls {
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// AcceptLoop accepts and immediately closes connections until ln is closed.
func AcceptLoop(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond) // e.g. EMFILE: do not spin
			continue
		}
		conn.Close()
	}
}

// EchoLoop sends every datagram back to its sender until pc is closed,
// after handing it to seen (nil: ignored).
func EchoLoop(pc net.PacketConn, seen func([]byte)) {
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if seen != nil {
			seen(buf[:n])
		}
		pc.WriteTo(buf[:n], from)
	}
}

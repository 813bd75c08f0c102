package netns

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"
)

// ErrNotListening is an ordinary "did not connect" outcome: the
// destination has no listener for the probe.
var ErrNotListening = errors.New("destination does not listen on that port")

// Blocked tells whether err is an ordinary failure to connect (dropped,
// rejected, refused, timed out, no listener) rather than a fault of the
// prober.
func Blocked(err error) bool {
	for _, e := range []error{
		context.DeadlineExceeded, context.Canceled, os.ErrDeadlineExceeded,
		ErrNotListening,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ETIMEDOUT,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EACCES, syscall.EPERM,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ProbeTCP connects to dst from the namespace at path (the dial happens on
// the thread that entered it) and closes the connection; ctx bounds it. A
// zone on dst's address names the interface (link-local addresses).
func ProbeTCP(ctx context.Context, path string, dst netip.AddrPort) error {
	var derr error
	err := InNetns(path, func() error {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", dst.String())
		if err != nil {
			derr = err
			return nil
		}
		conn.Close()
		return nil
	})
	if err != nil {
		return err
	}
	return derr
}

// ProbeUDP sends a random nonce to dst from the namespace at path and waits,
// until ctx ends, for the echo.
func ProbeUDP(ctx context.Context, path string, dst netip.AddrPort) error {
	var conn *net.UDPConn
	err := InNetns(path, func() error {
		var err error
		conn, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		return err
	})
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	nonce := make([]byte, 16)
	rand.Read(nonce)
	if _, err := conn.Write(nonce); err != nil {
		return err
	}
	buf := make([]byte, 64)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return err
		}
		if bytes.Equal(buf[:n], nonce) {
			return nil
		}
	}
}

// ProbeSCTP sends an INIT to dst from a raw socket in the namespace at path
// and waits, until ctx ends, for rx (the destination's receiver of dst's
// family) to see it. A nil rx means nobody listens: ErrNotListening.
func ProbeSCTP(ctx context.Context, path string, rx *SCTPReceiver, dst netip.AddrPort) error {
	if rx == nil {
		return ErrNotListening
	}
	k, seen := rx.expect(dst.Port())
	defer rx.forget(k)
	if err := InNetns(path, func() error { return sendSCTPInit(dst.Addr(), k) }); err != nil {
		return err
	}
	select {
	case <-seen:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

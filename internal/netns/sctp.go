package netns

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// The kernel has no SCTP sockets, so SCTP is probed with raw IP sockets of
// protocol 132: the source sends a lone INIT chunk whose initiate tag is a
// nonce, and a raw socket in the destination namespace reports which nonces
// arrived for which destination port.

const ipprotoSCTP = 132

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sctpInit builds an SCTP packet (common header + INIT chunk) with a correct
// CRC32c checksum.
func sctpInit(srcPort, dstPort uint16, nonce uint32) []byte {
	b := make([]byte, 32)
	binary.BigEndian.PutUint16(b[0:], srcPort)
	binary.BigEndian.PutUint16(b[2:], dstPort)
	// b[4:8] verification tag: 0 for INIT; b[8:12] checksum, filled below.
	b[12] = 1                                 // chunk type INIT
	binary.BigEndian.PutUint16(b[14:], 20)    // chunk length
	binary.BigEndian.PutUint32(b[16:], nonce) // initiate tag
	binary.BigEndian.PutUint32(b[20:], 65535) // a_rwnd
	binary.BigEndian.PutUint16(b[24:], 1)     // outbound streams
	binary.BigEndian.PutUint16(b[26:], 1)     // inbound streams
	binary.BigEndian.PutUint32(b[28:], nonce) // initial TSN
	// RFC 4960 appendix B: the CRC32c goes into the packet least significant
	// byte first (as Linux's sctp_compute_cksum does).
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b, castagnoli))
	return b
}

// parseSCTPInit returns the destination port and initiate tag of an SCTP
// INIT packet (starting at the SCTP common header) with a valid checksum.
func parseSCTPInit(b []byte) (port uint16, nonce uint32, ok bool) {
	if len(b) < 32 || b[12] != 1 || binary.BigEndian.Uint32(b[4:]) != 0 {
		return 0, 0, false
	}
	sum := binary.LittleEndian.Uint32(b[8:])
	c := make([]byte, len(b))
	copy(c, b)
	clear(c[8:12])
	if crc32.Checksum(c, castagnoli) != sum {
		return 0, 0, false
	}
	return binary.BigEndian.Uint16(b[2:]), binary.BigEndian.Uint32(b[16:]), true
}

type sctpKey struct {
	port  uint16
	nonce uint32
}

// SCTPReceiver reads every SCTP packet arriving in one namespace for one
// address family and wakes the ProbeSCTP calls waiting for them.
type SCTPReceiver struct {
	family int
	f      *os.File

	mu      sync.Mutex
	waiters map[sctpKey]chan struct{}
}

// NewSCTPReceiver opens the raw socket; call it inside the target netns
// (InNetns), then run Loop in a goroutine. Listen does both.
func NewSCTPReceiver(family int) (*SCTPReceiver, error) {
	fd, err := rawSCTPSocket(family, unix.SOCK_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("sctp receiver: %w", err)
	}
	// A non-blocking fd gives a pollable *os.File: Close wakes up Read.
	return &SCTPReceiver{
		family:  family,
		f:       os.NewFile(uintptr(fd), fmt.Sprintf("sctp-raw-v%d", family)),
		waiters: map[sctpKey]chan struct{}{},
	}, nil
}

func rawSCTPSocket(family, flags int) (int, error) {
	domain := unix.AF_INET
	if family == 6 {
		domain = unix.AF_INET6
	}
	fd, err := unix.Socket(domain, unix.SOCK_RAW|unix.SOCK_CLOEXEC|flags, ipprotoSCTP)
	if err != nil {
		return -1, fmt.Errorf("raw IPv%d socket, protocol %d: %w", family, ipprotoSCTP, err)
	}
	return fd, nil
}

// Close closes the socket; Loop returns.
func (r *SCTPReceiver) Close() error { return r.f.Close() }

// Loop reads packets until the receiver is closed.
func (r *SCTPReceiver) Loop() {
	buf := make([]byte, 65536)
	for {
		n, err := r.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			continue
		}
		b := buf[:n]
		if r.family == 4 {
			// IPv4 raw sockets deliver the IP header too.
			if n < 20 {
				continue
			}
			hl := int(b[0]&0x0f) * 4
			if hl < 20 || n < hl {
				continue
			}
			b = b[hl:]
		}
		port, nonce, ok := parseSCTPInit(b)
		if !ok {
			continue
		}
		r.mu.Lock()
		if ch, ok := r.waiters[sctpKey{port, nonce}]; ok {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		r.mu.Unlock()
	}
}

// expect registers interest in an INIT to port and returns its nonce and a
// channel that receives once that packet has arrived.
func (r *SCTPReceiver) expect(port uint16) (sctpKey, <-chan struct{}) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		k := sctpKey{port: port, nonce: rand.Uint32()}
		if _, used := r.waiters[k]; k.nonce == 0 || used {
			continue
		}
		r.waiters[k] = ch
		return k, ch
	}
}

func (r *SCTPReceiver) forget(k sctpKey) {
	r.mu.Lock()
	delete(r.waiters, k)
	r.mu.Unlock()
}

// sendSCTPInit sends one INIT from a fresh raw socket; call it inside the
// source netns. A zone on dst names the interface (link-local addresses).
func sendSCTPInit(dst netip.Addr, k sctpKey) error {
	var (
		family int
		sa     unix.Sockaddr
	)
	if dst.Is4() {
		family, sa = 4, &unix.SockaddrInet4{Addr: dst.As4()}
	} else {
		sa6 := &unix.SockaddrInet6{Addr: dst.As16()}
		if z := dst.Zone(); z != "" { // link-local: the interface it leaves by
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return fmt.Errorf("send SCTP INIT to %s: %w", dst, err)
			}
			sa6.ZoneId = uint32(ifi.Index)
		}
		family, sa = 6, sa6
	}
	fd, err := rawSCTPSocket(family, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	srcPort := uint16(1024 + rand.IntN(65535-1024))
	if err := unix.Sendto(fd, sctpInit(srcPort, k.port, k.nonce), 0, sa); err != nil {
		return fmt.Errorf("send SCTP INIT to %s: %w", dst, err)
	}
	return nil
}

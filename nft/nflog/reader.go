package nflog

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Packet is one logged packet.
type Packet struct {
	Prefix           string // the rule's log prefix
	Family           int    // 4 or 6
	Src, Dst         netip.Addr
	Proto            uint8  // IP protocol number (6 TCP, 17 UDP, 132 SCTP, 1/58 ICMP, ...)
	SrcPort, DstPort uint16 // 0 unless TCP, UDP or SCTP
	TCPFlags         uint8  // TCP flags byte (SYN=0x02 ...); 0 for other protocols
}

// Reader receives the packets logged to one NFLOG group in one network namespace.
type Reader struct {
	nl    *netlink.Conn
	group uint16
	where string // the namespace, for errors

	mu      sync.Mutex // serialises Read; guards the fields below
	pending []netlink.Message
	nextSeq uint32 // the sequence number the next packet message should carry
	overrun bool   // an ENOBUFS was counted as one lost message that no sequence gap has accounted for yet

	closed  atomic.Bool
	lost    atomic.Uint64
	skipped atomic.Uint64
}

// rcvBuf is the receive buffer Open forces. A packet message with 128 bytes of payload takes about 1 KiB of it,
// so 4 MiB holds a few thousand packets: seconds of a burst at the rates log rules are limited to.
const rcvBuf = 4 << 20

// Open binds to NFLOG group `group` in the network namespace at netnsPath ("" = the caller's namespace) and
// asks for the first 128 bytes of each packet (enough for IPv6 + TCP headers).
func Open(netnsPath string, group uint16) (*Reader, error) {
	return open(netnsPath, group, rcvBuf)
}

// open is Open with the receive buffer as a parameter, so a test can make the kernel drop messages.
func open(netnsPath string, group uint16, rcvbuf int) (*Reader, error) {
	where := "the current network namespace"
	nsFd := 0
	if netnsPath != "" {
		where = "network namespace " + netnsPath
		f, err := os.Open(netnsPath)
		if err != nil {
			return nil, fmt.Errorf("NFLOG group %d: open network namespace: %w", group, err)
		}
		// The socket keeps its namespace once created; the file is only needed for the dial.
		defer f.Close()
		nsFd = int(f.Fd())
	}
	nl, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: nsFd})
	if err != nil {
		return nil, fmt.Errorf("NFLOG group %d: open netlink socket in %s: %w", group, where, err)
	}
	r := &Reader{nl: nl, group: group, where: where}
	if err := r.setRcvBuf(rcvbuf); err != nil {
		nl.Close()
		return nil, fmt.Errorf("NFLOG group %d in %s: %w", group, where, err)
	}
	attrs, err := bindAttrs()
	if err == nil {
		err = r.configure(attrs)
	}
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("bind NFLOG group %d in %s: %w", group, where, err)
	}
	return r, nil
}

// setRcvBuf forces the receive buffer to n bytes. SO_RCVBUFFORCE (CAP_NET_ADMIN, which binding needs anyway)
// ignores net.core.rmem_max, which is often far smaller.
func (r *Reader) setRcvBuf(n int) error {
	rc, err := r.nl.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
		if serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("set receive buffer to %d bytes: %w", n, err)
	}
	return nil
}

// Read blocks until a packet arrives, the reader is closed (returns an error wrapping net.ErrClosed), or the
// socket fails. Messages that are not packets, or packets it cannot parse, are skipped (counted in Skipped).
func (r *Reader) Read() (Packet, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		if r.closed.Load() {
			return Packet{}, r.closedErr()
		}
		for len(r.pending) > 0 {
			m := r.pending[0]
			r.pending = r.pending[1:]
			if m.Header.Type == netlink.Done {
				continue // the end of a batch of packets (a queue threshold above one), not a message of its own
			}
			l, err := decodeMessage(m)
			if l.hasSeq {
				r.noteSeq(l.seq)
			}
			if err != nil {
				r.skipped.Add(1)
				continue
			}
			return l.pkt, nil
		}
		msgs, err := r.nl.Receive()
		if err != nil {
			if r.closed.Load() {
				return Packet{}, r.closedErr()
			}
			if errors.Is(err, unix.ENOBUFS) {
				r.noteOverrun()
				continue
			}
			return Packet{}, fmt.Errorf("read NFLOG group %d in %s: %w", r.group, r.where, err)
		}
		r.pending = msgs
	}
}

func (r *Reader) closedErr() error {
	return fmt.Errorf("read NFLOG group %d in %s: %w", r.group, r.where, net.ErrClosed)
}

// noteOverrun counts an ENOBUFS. It says the kernel dropped at least one message but not how many; the gap in
// sequence numbers at the next packet says exactly, so until then it counts as one.
func (r *Reader) noteOverrun() {
	if !r.overrun {
		r.overrun = true
		r.lost.Add(1)
	}
}

// noteSeq counts the messages the kernel numbered but never delivered before the one numbered seq.
func (r *Reader) noteSeq(seq uint32) {
	gap := seq - r.nextSeq
	r.nextSeq = seq + 1
	// A number below the expected one is not a loss (the kernel numbers one group's messages in order, so this
	// is not expected to happen); the count resumes from it.
	if gap == 0 || gap >= 1<<31 {
		return
	}
	if r.overrun {
		r.overrun = false
		gap--
	}
	r.lost.Add(uint64(gap))
}

// Lost returns how many messages the kernel could not deliver (ENOBUFS on the socket) so far; Read continues after
// ENOBUFS. Messages dropped after the last one Read saw count once Read sees the next (or, before that, as one
// when the ENOBUFS is read).
func (r *Reader) Lost() uint64 { return r.lost.Load() }

// Skipped returns how many messages Read dropped because they were not packets or could not be parsed.
func (r *Reader) Skipped() uint64 { return r.skipped.Load() }

// Close unbinds and closes; a blocked Read returns.
func (r *Reader) Close() error {
	if r.closed.Swap(true) {
		return fmt.Errorf("close NFLOG group %d in %s: %w", r.group, r.where, net.ErrClosed)
	}
	// The kernel also frees the group when the socket goes; unbinding first frees it even while a blocked Read
	// still holds the socket. No acknowledgement: Read may be receiving on this socket.
	var uerr error
	if attrs, err := unbindAttrs(); err != nil {
		uerr = err
	} else if _, err := r.nl.Send(configMessage(r.group, attrs, 0)); err != nil {
		uerr = fmt.Errorf("unbind NFLOG group %d in %s: %w", r.group, r.where, err)
	}
	if err := r.nl.Close(); err != nil {
		return errors.Join(uerr, fmt.Errorf("close NFLOG group %d socket in %s: %w", r.group, r.where, err))
	}
	return uerr
}

package conntrack

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// recvBufLen is the receive buffer for one datagram. The kernel sizes dump datagrams by the reader's largest
// recvmsg buffer but never above 32 KiB, and an acknowledgement is a few dozen bytes.
const recvBufLen = 64 << 10

// replyTimeout bounds a wait for the kernel's replies. ctnetlink answers a request inside the sendmsg that
// carried it, so acknowledgements are queued before the wait starts, and a dump's next part is made when the
// previous one is read; the timeout only keeps a kernel bug from hanging the agent.
const replyTimeout = 10 * time.Second

// nextSeq numbers a request. Replies are matched to requests by it, so a reply left over from an earlier,
// failed operation is recognised and skipped.
func (c *Conn) nextSeq() uint32 {
	c.seq++
	if c.seq == 0 {
		c.seq = 1
	}
	return c.seq
}

// handler gets each netlink message read; it says when the replies it waits for are complete.
type handler func(h syscall.NlMsghdr, data []byte) (done bool, err error)

// receive reads datagrams from the socket and passes each netlink message in them to fn until fn reports done
// or fails. It reads whatever is queued without going back to the poller (a thousand acknowledgements are a
// thousand datagrams) and waits only when the queue is empty.
func (c *Conn) receive(fn handler) error {
	rc, err := c.nl.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	if err := c.nl.SetReadDeadline(time.Now().Add(replyTimeout)); err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	defer c.nl.SetReadDeadline(time.Time{})
	if c.buf == nil {
		c.buf = make([]byte, recvBufLen)
	}
	var done bool
	var ferr error
	err = rc.Read(func(fd uintptr) bool {
		for !done && ferr == nil {
			// MSG_TRUNC: n is the datagram's real length, so a truncation is seen rather than misparsed.
			n, _, err := unix.Recvfrom(int(fd), c.buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EAGAIN):
				return false // queue empty: wait until readable, then come back
			case errors.Is(err, unix.ENOBUFS):
				ferr = fmt.Errorf("receive netlink replies: %w (the kernel dropped replies that did not fit "+
					"the socket's receive buffer)", err)
			case err != nil:
				ferr = fmt.Errorf("receive netlink replies: %w", err)
			case n > len(c.buf):
				ferr = fmt.Errorf("netlink reply of %d bytes truncated to %d", n, len(c.buf))
			default:
				done, ferr = dispatch(c.buf[:n], fn)
			}
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("wait for netlink replies: %w", err)
	}
	return ferr
}

// dispatch parses one datagram (with bounds checks: syscall.ParseNetlinkMessage) and hands its messages to fn.
func dispatch(b []byte, fn handler) (bool, error) {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return false, fmt.Errorf("parse netlink reply: %w", err)
	}
	for _, m := range msgs {
		if done, err := fn(m.Header, m.Data); err != nil || done {
			return done, err
		}
	}
	return false, nil
}

// errnoOf returns the error an NLMSG_ERROR or NLMSG_DONE message carries (nil for 0, an acknowledgement), and
// false if the message is too short to carry one.
func errnoOf(data []byte) (error, bool) {
	if len(data) < 4 {
		return nil, false
	}
	code := int32(binary.NativeEndian.Uint32(data)) // the negated errno, in the host's byte order
	switch {
	case code == 0:
		return nil, true
	case code < 0:
		code = -code
	}
	return syscall.Errno(code), true
}

package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// transport is this package's own NETLINK_NETFILTER socket. It sends a batch in one sendmsg and matches every
// reply to the message it answers by sequence number, so an error names the object that failed; it also runs
// the dumps Read needs.
type transport struct {
	nl     *netlink.Conn
	seq    uint32
	sndbuf int
	rcvbuf int
	buf    []byte // receive buffer for acknowledgements
}

// message is one nftables request of a batch: what the kernel gets, and what an error calls it.
type message struct {
	typ   uint16 // NFT_MSG_*
	flags netlink.HeaderFlags
	data  []byte // nfgenmsg and attributes
	label string
}

const (
	minSockBuf   = 1 << 20
	ackTruesize  = 2048 // receive-buffer room per acknowledged message (skb overhead included)
	recvBufBytes = 1 << 16
)

func dialTransport(nsFd int) (*transport, error) {
	nl, err := netlink.Dial(unix.NETLINK_NETFILTER, &netlink.Config{NetNS: nsFd})
	if err != nil {
		return nil, fmt.Errorf("open netlink socket: %w", err)
	}
	// Error replies carry only the header of the failed message, not its 60 KiB of elements. (No extended
	// acks: nftables rarely sets a message, and the netlink package misparses them in capped acks.)
	_ = nl.SetOption(netlink.CapAcknowledge, true)
	t := &transport{nl: nl, seq: 1}
	if err := t.growBuffers(minSockBuf, minSockBuf); err != nil {
		nl.Close()
		return nil, err
	}
	return t, nil
}

func (t *transport) close() error { return t.nl.Close() }

func (t *transport) nextSeq() uint32 {
	t.seq++
	if t.seq == 0 {
		t.seq = 1
	}
	return t.seq
}

// growBuffers raises the socket buffers to at least snd and rcv bytes. SO_*BUFFORCE (CAP_NET_ADMIN) ignores
// net.core.[rw]mem_max, so a batch of 100,000 elements fits in one sendmsg without touching sysctls.
func (t *transport) growBuffers(snd, rcv int) error {
	if snd <= t.sndbuf && rcv <= t.rcvbuf {
		return nil
	}
	snd, rcv = max(snd, t.sndbuf), max(rcv, t.rcvbuf)
	rc, err := t.nl.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		serr = setBuf(int(fd), unix.SO_SNDBUFFORCE, unix.SO_SNDBUF, snd)
		if serr == nil {
			serr = setBuf(int(fd), unix.SO_RCVBUFFORCE, unix.SO_RCVBUF, rcv)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("raise netlink socket buffers to %d/%d bytes: %w", snd, rcv, err)
	}
	t.sndbuf, t.rcvbuf = snd, rcv
	return nil
}

func setBuf(fd, force, plain, n int) error {
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, force, n); err == nil {
		return nil
	}
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, plain, n)
}

func nfgenmsg(family uint8, resID uint16) []byte {
	return []byte{family, unix.NFNETLINK_V0, byte(resID >> 8), byte(resID)}
}

func nftType(msg uint16) netlink.HeaderType {
	return netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | msg)
}

// sendBatch sends msgs as one nfnetlink batch (one transaction: all or nothing) and returns the bytes written
// to the socket (headers and the batch's begin and end included; 0 when sendmsg failed) and the first error
// the kernel reported, naming the message it belongs to.
func (t *transport) sendBatch(msgs []message) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	nl := make([]netlink.Message, 0, len(msgs)+2)
	labels := make(map[uint32]int, len(msgs))
	begin := t.nextSeq()
	nl = append(nl, netlink.Message{
		Header: netlink.Header{Type: unix.NFNL_MSG_BATCH_BEGIN, Flags: netlink.Request, Sequence: begin},
		Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	size := 0
	for i, m := range msgs {
		seq := t.nextSeq()
		labels[seq] = i
		nl = append(nl, netlink.Message{
			Header: netlink.Header{Type: nftType(m.typ), Flags: m.flags | netlink.Request | netlink.Acknowledge, Sequence: seq},
			Data:   m.data,
		})
		size += unix.NLMSG_HDRLEN + align4(len(m.data))
	}
	nl = append(nl, netlink.Message{
		Header: netlink.Header{Type: unix.NFNL_MSG_BATCH_END, Flags: netlink.Request, Sequence: t.nextSeq()},
		Data:   nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES),
	})
	if err := t.growBuffers(size+minSockBuf, len(msgs)*ackTruesize+minSockBuf); err != nil {
		return 0, err
	}
	if _, err := t.nl.SendMessages(nl); err != nil {
		return 0, fmt.Errorf("send batch of %d messages (%d bytes): %w", len(msgs), size, err)
	}
	sent := size + 2*(unix.NLMSG_HDRLEN+align4(len(nl[0].Data))) // the begin and end messages
	// The kernel processes the batch inside sendmsg, so every reply is already queued.
	replies, err := t.drain()
	if err != nil {
		return sent, fmt.Errorf("read replies to a batch of %d messages: %w (the batch may or may not have been committed)",
			len(msgs), err)
	}
	var failed []error
	acked := 0
	for _, r := range replies {
		i, ok := labels[r.seq]
		switch {
		case r.seq == begin && r.err != nil:
			failed = append(failed, fmt.Errorf("batch: %w", r.err))
		case !ok:
			continue
		case r.err != nil:
			failed = append(failed, fmt.Errorf("%s: %w", msgs[i].label, r.err))
		default:
			acked++
		}
	}
	switch {
	case len(failed) == 1:
		return sent, failed[0]
	case len(failed) > 1:
		return sent, fmt.Errorf("%w (and %d more failed messages in the same batch)", failed[0], len(failed)-1)
	case acked != len(msgs):
		return sent, fmt.Errorf("batch of %d messages: only %d acknowledged (the batch may or may not have been committed)",
			len(msgs), acked)
	}
	return sent, nil
}

// reply is one acknowledgement: the sequence number it answers and the error (nil for success).
type reply struct {
	seq uint32
	err error
}

// drain reads every queued reply without blocking.
func (t *transport) drain() ([]reply, error) {
	rc, err := t.nl.SyscallConn()
	if err != nil {
		return nil, err
	}
	var out []reply
	var rerr error
	if t.buf == nil {
		t.buf = make([]byte, recvBufBytes)
	}
	buf := t.buf
	err = rc.Control(func(fd uintptr) {
		for {
			n, _, err := unix.Recvfrom(int(fd), buf, unix.MSG_DONTWAIT|unix.MSG_TRUNC)
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EAGAIN):
				return
			case err != nil:
				rerr = err
				return
			case n > len(buf):
				rerr = fmt.Errorf("reply of %d bytes truncated", n)
				return
			}
			rs, err := parseReplies(buf[:n])
			if err != nil {
				rerr = err
				return
			}
			out = append(out, rs...)
		}
	})
	if err == nil {
		err = rerr
	}
	return out, err
}

func parseReplies(b []byte) ([]reply, error) {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return nil, fmt.Errorf("parse reply: %w", err)
	}
	var out []reply
	for _, m := range msgs {
		if m.Header.Type != unix.NLMSG_ERROR {
			continue
		}
		if len(m.Data) < 4+unix.NLMSG_HDRLEN {
			return nil, fmt.Errorf("short error message (%d bytes)", len(m.Data))
		}
		code := int32(binary.NativeEndian.Uint32(m.Data))
		seq := binary.NativeEndian.Uint32(m.Data[4+8:])
		r := reply{seq: seq}
		if code != 0 {
			r.err = syscall.Errno(-code)
		}
		out = append(out, r)
	}
	return out, nil
}

// dump runs one NLM_F_DUMP request and returns the reply messages.
func (t *transport) dump(msgType uint16, family uint8, attrs []byte) ([]netlink.Message, error) {
	return t.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: nftType(msgType), Flags: netlink.Request | netlink.Dump},
		Data:   append(nfgenmsg(family, 0), attrs...),
	})
}

// get runs one plain request (no dump) and returns the reply messages.
func (t *transport) get(msgType uint16, family uint8, attrs []byte) ([]netlink.Message, error) {
	return t.nl.Execute(netlink.Message{
		Header: netlink.Header{Type: nftType(msgType), Flags: netlink.Request},
		Data:   append(nfgenmsg(family, 0), attrs...),
	})
}

package conntrack

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Delete requests go to the kernel many to a sendmsg, which ctnetlink processes one after the other inside
// that call, queueing an acknowledgement for each; they are then read back. The number per sendmsg is bounded
// by the room the acknowledgements need in the receive buffer (the kernel drops the ones that do not fit).
const (
	maxChunk   = 256
	ackRoom    = 2048    // receive-buffer room per acknowledgement, skb overhead included (measured: 832 bytes)
	ackRecvBuf = 1 << 20 // asked for at Open; the kernel doubles it for its bookkeeping
)

// Delete deletes each flow's entry, looked up by its original tuple in its zone (0 unless the Flow came from a
// dump of an entry in another zone). An entry already gone is not an error. It returns how many entries it
// deleted. A flow that cannot be deleted (malformed, or refused by the kernel) does not stop the others; the
// error names the first such flow and counts the rest.
func (c *Conn) Delete(flows []Flow) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := deletion{conn: c, flows: flows, bySeq: make(map[uint32]int, min(c.chunk, len(flows)))}
	msgs := make([]netlink.Message, 0, min(c.chunk, len(flows)))
	for i, f := range flows {
		if body, err := deleteRequest(f); err != nil {
			d.fail(i, err)
		} else {
			seq := c.nextSeq()
			d.bySeq[seq] = i
			msgs = append(msgs, netlink.Message{
				Header: netlink.Header{Type: ctType(ipctnlMsgCtDelete), Flags: netlink.Request | netlink.Acknowledge,
					Sequence: seq},
				Data: body,
			})
		}
		if len(msgs) == c.chunk || i == len(flows)-1 {
			if err := d.send(msgs); err != nil {
				return d.deleted, fmt.Errorf("conntrack in %s: delete %d flows: %w (%d deleted before that)",
					c.ns, len(flows), err, d.deleted)
			}
			msgs = msgs[:0]
		}
	}
	switch {
	case d.failed == 1:
		return d.deleted, fmt.Errorf("conntrack in %s: %w", c.ns, d.first)
	case d.failed > 1:
		return d.deleted, fmt.Errorf("conntrack in %s: %w (and %d more flows not deleted)", c.ns, d.first, d.failed-1)
	}
	return d.deleted, nil
}

// deletion is the state of one Delete call.
type deletion struct {
	conn    *Conn
	flows   []Flow
	bySeq   map[uint32]int // sequence number -> index in flows, for requests awaiting their acknowledgement
	deleted int
	failed  int
	first   error
}

func (d *deletion) fail(i int, err error) {
	d.failed++
	if d.first == nil {
		d.first = fmt.Errorf("delete %s: %w", d.flows[i], err)
	}
}

// send sends msgs in one sendmsg and reads their acknowledgements.
func (d *deletion) send(msgs []netlink.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if _, err := d.conn.nl.SendMessages(msgs); err != nil {
		return fmt.Errorf("send %d requests: %w", len(msgs), err)
	}
	return d.conn.receive(func(h syscall.NlMsghdr, data []byte) (bool, error) {
		i, ok := d.bySeq[h.Seq]
		if !ok || h.Type != unix.NLMSG_ERROR {
			return false, nil // not an answer to this call
		}
		delete(d.bySeq, h.Seq)
		err, ok := errnoOf(data)
		switch {
		case !ok:
			d.fail(i, errors.New("short acknowledgement"))
		case err == nil:
			d.deleted++
		case errors.Is(err, unix.ENOENT):
			// Already gone: it timed out, was closed, or another deleter got there first.
		default:
			d.fail(i, err)
		}
		return len(d.bySeq) == 0, nil
	})
}

// chunkSize is how many delete requests one sendmsg may carry, from the receive buffer the socket really got.
func (c *Conn) chunkSize() (int, error) {
	rc, err := c.nl.SyscallConn()
	if err != nil {
		return 0, fmt.Errorf("netlink socket: %w", err)
	}
	n := 0
	var serr error
	if err := rc.Control(func(fd uintptr) {
		n, serr = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF)
	}); err != nil {
		return 0, fmt.Errorf("netlink socket: %w", err)
	}
	if serr != nil {
		return 0, fmt.Errorf("netlink socket receive buffer size: %w", serr)
	}
	return max(1, min(maxChunk, n/ackRoom)), nil
}

package conntrack

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// dumpAttempts bounds the retries of a dump the kernel marks NLM_F_DUMP_INTR (the table changed under it, so
// an entry may be missing or listed twice). A busy table could keep interrupting; after this many tries Flows
// gives up rather than loop.
const dumpAttempts = 4

// Flows dumps the conntrack table (IPv4 and IPv6), in the kernel's order. Entries of every zone are listed.
func (c *Conn) Flows() ([]Flow, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for attempt := 1; ; attempt++ {
		flows, interrupted, err := c.dump()
		if err != nil {
			return nil, fmt.Errorf("conntrack in %s: dump: %w", c.ns, err)
		}
		if !interrupted {
			return flows, nil
		}
		if attempt == dumpAttempts {
			return nil, fmt.Errorf("conntrack in %s: dump: interrupted by concurrent changes %d times in a row",
				c.ns, attempt)
		}
	}
}

// dump runs one IPCTNL_MSG_CT_GET dump. Family AF_UNSPEC asks for every family: the kernel filters by family
// only when the request names one. The replies are read here rather than through netlink.Conn.Execute, which
// drops the final NLMSG_DONE and with it the NLM_F_DUMP_INTR flag the kernel may set there.
func (c *Conn) dump() (flows []Flow, interrupted bool, err error) {
	seq := c.nextSeq()
	req := netlink.Message{
		Header: netlink.Header{Type: ctType(ipctnlMsgCtGet), Flags: netlink.Request | netlink.Dump, Sequence: seq},
		Data:   nfgenmsg(unix.AF_UNSPEC),
	}
	if _, err := c.nl.Send(req); err != nil {
		return nil, false, fmt.Errorf("send request: %w", err)
	}
	// A malformed entry fails the dump, but only once the dump is read to its end: the kernel keeps an
	// unfinished dump running on the socket and refuses the next one (EBUSY) until then.
	var bad error
	err = c.receive(func(h syscall.NlMsghdr, data []byte) (bool, error) {
		if h.Seq != seq {
			return false, nil // a late reply to an earlier request
		}
		if h.Flags&unix.NLM_F_DUMP_INTR != 0 {
			interrupted = true
		}
		switch h.Type {
		case unix.NLMSG_DONE, unix.NLMSG_ERROR:
			if e, ok := errnoOf(data); ok && e != nil {
				return true, e
			}
			return true, bad
		case uint16(ctType(ipctnlMsgCtNew)):
			f, err := parseEntry(data)
			if errors.Is(err, errSkip) {
				return false, nil
			}
			if err != nil {
				if bad == nil {
					bad = fmt.Errorf("entry %d: %w", len(flows)+1, err)
				}
				return false, nil
			}
			flows = append(flows, f)
		}
		return false, nil
	})
	return flows, interrupted, err
}

package conntrack

import (
	"fmt"
	"os"
	"sync"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// Conn is a ctnetlink socket in one network namespace. Its methods may be called from several goroutines; they
// take turns.
type Conn struct {
	mu  sync.Mutex
	nl  *netlink.Conn
	ns  string // for errors: "network namespace /run/netns/x" or "the current network namespace"
	seq uint32 // sequence number of the last request (replies are matched to requests by it)
	buf []byte // receive buffer (dumps and acknowledgements)
	// chunk is how many delete requests go in one sendmsg.
	chunk int
}

// Open opens a ctnetlink socket in the network namespace at netnsPath ("" = the caller's namespace). The socket
// stays in that namespace for its whole life; the namespace file is needed only while dialling.
func Open(netnsPath string) (*Conn, error) {
	c := &Conn{ns: nsName(netnsPath)}
	cfg := &netlink.Config{}
	if netnsPath != "" {
		f, err := os.Open(netnsPath)
		if err != nil {
			return nil, fmt.Errorf("conntrack: open %s: %w", c.ns, err)
		}
		defer f.Close()
		cfg.NetNS = int(f.Fd())
	}
	nl, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		return nil, fmt.Errorf("conntrack in %s: open netlink socket: %w", c.ns, err)
	}
	c.nl = nl
	// An error reply then carries only the header of the failed request, not the request again.
	_ = nl.SetOption(netlink.CapAcknowledge, true)
	err = c.growRecvBuf(ackRecvBuf)
	if err == nil {
		c.chunk, err = c.chunkSize()
	}
	if err != nil {
		nl.Close()
		return nil, fmt.Errorf("conntrack in %s: %w", c.ns, err)
	}
	return c, nil
}

// Close releases the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.nl.Close(); err != nil {
		return fmt.Errorf("conntrack in %s: close: %w", c.ns, err)
	}
	return nil
}

func nsName(p string) string {
	if p == "" {
		return "the current network namespace"
	}
	return "network namespace " + p
}

// growRecvBuf raises the socket's receive buffer to n bytes. The kernel queues one acknowledgement per delete
// request while it processes a whole sendmsg, and drops (ENOBUFS) what does not fit, so the buffer must hold a
// chunk's worth. SO_RCVBUFFORCE (CAP_NET_ADMIN, which deleting entries needs anyway) ignores
// net.core.rmem_max; without it, SO_RCVBUF gets what the sysctl allows and chunks stay small enough for that.
func (c *Conn) growRecvBuf(n int) error {
	rc, err := c.nl.SyscallConn()
	if err != nil {
		return fmt.Errorf("netlink socket: %w", err)
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n); serr != nil {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
	})
	if err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("raise netlink receive buffer to %d bytes: %w", n, err)
	}
	return nil
}

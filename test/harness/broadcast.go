package harness

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// nonceLen is the size of the nonces UDP probes send.
const nonceLen = 16

type nonceKey struct {
	port  int32
	nonce [nonceLen]byte
}

// nonceBoard tells waiters when a pod's UDP listener received a given nonce
// on a given port. The echo listeners report every datagram to it, whatever
// its destination address (unicast or broadcast: they are bound to the
// wildcard address).
type nonceBoard struct {
	mu      sync.Mutex
	waiters map[nonceKey]chan struct{}
}

func newNonceBoard() *nonceBoard { return &nonceBoard{waiters: map[nonceKey]chan struct{}{}} }

// expect registers a fresh random nonce for port and returns it with a
// channel that receives once a datagram carrying it has arrived.
func (b *nonceBoard) expect(port int32) (nonceKey, <-chan struct{}) {
	ch := make(chan struct{}, 1)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		k := nonceKey{port: port}
		rand.Read(k.nonce[:])
		if _, used := b.waiters[k]; used {
			continue
		}
		b.waiters[k] = ch
		return k, ch
	}
}

func (b *nonceBoard) forget(k nonceKey) {
	b.mu.Lock()
	delete(b.waiters, k)
	b.mu.Unlock()
}

// saw is called by the listener on port for every datagram it receives.
func (b *nonceBoard) saw(port int32, payload []byte) {
	if len(payload) != nonceLen {
		return
	}
	k := nonceKey{port: port}
	copy(k.nonce[:], payload)
	b.mu.Lock()
	defer b.mu.Unlock()
	if ch, ok := b.waiters[k]; ok {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// ProbeBroadcast sends a UDP datagram carrying a fresh nonce from pod from
// to the IPv4 broadcast address of its node's pod subnet (10.244.<i>.255,
// with SO_BROADCAST) on port, and reports whether the UDP listener of pod
// to on that port received it within the probe timeout. Only the bridge
// topology has a shared pod subnet on one link, and only IPv4 has
// broadcast; anything else returns false. The datagram is sent three times
// over the timeout, so one lost packet does not decide the result.
func (c *Cluster) ProbeBroadcast(ctx context.Context, from, to string, port int32) bool {
	src, ok1 := c.podBy[from]
	dst, ok2 := c.podBy[to]
	switch {
	case c.cfg.Topology != Bridge || !c.cfg.IPv4:
		c.t.Logf("harness: broadcast probe needs the bridge topology with IPv4")
		return false
	case !ok1 || !ok2 || src.netns == "" || dst.netns == "":
		c.t.Logf("harness: broadcast probe %s -> %s: pod unknown or without IP", from, to)
		return false
	case port <= 0 || port > 65535:
		c.t.Logf("harness: broadcast probe %s -> %s: bad port %d", from, to, port)
		return false
	}
	listening := false
	for _, p := range dst.udp {
		listening = listening || p == port
	}
	if !listening {
		c.t.Logf("harness: broadcast probe %s -> %s: %s has no UDP listener on %d", from, to, to, port)
		return false
	}
	bcast := netip.AddrFrom4([4]byte{10, 244, byte(src.node.idx), 255})
	k, seen := dst.udpSeen.expect(port)
	defer dst.udpSeen.forget(k)

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	conn, err := broadcastSocket(netns.Path(src.netns))
	if err != nil {
		c.t.Logf("harness: broadcast probe %s -> %s: %v", from, to, err)
		return false
	}
	defer conn.Close()
	addr := net.UDPAddrFromAddrPort(netip.AddrPortFrom(bcast, uint16(port)))
	tick := time.NewTicker(c.timeout / 3)
	defer tick.Stop()
	for {
		if _, err := conn.WriteTo(k.nonce[:], addr); err != nil {
			c.t.Logf("harness: broadcast probe %s -> %s (%s): %v", from, to, addr, err)
			return false
		}
		select {
		case <-seen:
			return true
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// broadcastSocket opens an IPv4 UDP socket allowed to send to broadcast
// addresses, inside the netns at path.
func broadcastSocket(path string) (net.PacketConn, error) {
	var conn net.PacketConn
	err := netns.InNetns(path, func() error {
		lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
			}); err != nil {
				return err
			}
			return serr
		}}
		var err error
		conn, err = lc.ListenPacket(context.Background(), "udp4", "0.0.0.0:0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("broadcast socket: %w", err)
	}
	return conn, nil
}

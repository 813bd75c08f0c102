package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// maxParallelProbes bounds how many probes Run has in flight.
const maxParallelProbes = 256

// Probe is one connection attempt between two pods ("namespace/name").
type Probe struct {
	From, To string
	Protocol corev1.Protocol // empty means TCP
	Port     int32
	Family   int // 4 or 6
}

func (p Probe) String() string {
	return fmt.Sprintf("%s -> %s %s/%d IPv%d", p.From, p.To, p.Protocol, p.Port, p.Family)
}

// Run performs the probes in parallel; result i tells whether probes[i]
// connected within the probe timeout.
func (c *Cluster) Run(ctx context.Context, probes []Probe) []bool {
	res := make([]bool, len(probes))
	sem := make(chan struct{}, maxParallelProbes)
	var wg sync.WaitGroup
	for i, pr := range probes {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res[i] = c.runProbe(ctx, pr)
		}()
	}
	wg.Wait()
	return res
}

func (c *Cluster) runProbe(ctx context.Context, pr Probe) bool {
	src, ok := c.podBy[pr.From]
	if !ok || src.netns == "" {
		c.t.Logf("harness: probe %v: source pod unknown or without IP", pr)
		return false
	}
	if _, ok := src.ip(pr.Family); !ok {
		c.t.Logf("harness: probe %v: source pod has no IPv%d address", pr, pr.Family)
		return false
	}
	return c.probe(ctx, src.netns, pr.To, pr.Protocol, pr.Port, pr.Family)
}

// ProbeFromNode probes pod to ("namespace/name") from the node's own
// namespace.
func (c *Cluster) ProbeFromNode(ctx context.Context, nodeName, to string, proto corev1.Protocol, port int32, family int) bool {
	n, ok := c.nodeBy[nodeName]
	if !ok {
		c.t.Logf("harness: probe from node %q: unknown node", nodeName)
		return false
	}
	if (family == 4 && !n.ip4.IsValid()) || (family == 6 && !n.ip6.IsValid()) {
		c.t.Logf("harness: probe from node %s: node has no IPv%d address", nodeName, family)
		return false
	}
	return c.probe(ctx, n.netns, to, proto, port, family)
}

// probe connects from the namespace fromNS to pod to.
func (c *Cluster) probe(ctx context.Context, fromNS, to string, proto corev1.Protocol, port int32, family int) bool {
	dst, ok := c.podBy[to]
	if !ok {
		c.t.Logf("harness: probe to unknown pod %q", to)
		return false
	}
	addr, ok := dst.ip(family)
	if !ok {
		c.t.Logf("harness: probe to %s: no IPv%d address", to, family)
		return false
	}
	if port <= 0 || port > 65535 {
		c.t.Logf("harness: probe to %s: bad port %d", to, port)
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	path := netnsPath(fromNS)
	ap := netip.AddrPortFrom(addr, uint16(port))
	var err error
	switch proto {
	case corev1.ProtocolTCP, "":
		err = probeTCP(ctx, path, ap)
	case corev1.ProtocolUDP:
		err = probeUDP(ctx, path, ap)
	case corev1.ProtocolSCTP:
		err = probeSCTP(ctx, path, dst, ap)
	default:
		err = fmt.Errorf("unknown protocol %q", proto)
	}
	if err != nil && !blocked(err) {
		c.t.Logf("harness: probe %s -> %s (%s) %s/%d: %v", fromNS, to, ap, proto, port, err)
	}
	return err == nil
}

// errNotListening is an ordinary "did not connect" outcome.
var errNotListening = errors.New("destination does not listen on that port")

// blocked tells whether err is an ordinary failure to connect (dropped,
// rejected, refused, no listener) rather than a fault of the harness.
func blocked(err error) bool {
	for _, e := range []error{
		context.DeadlineExceeded, context.Canceled, os.ErrDeadlineExceeded,
		errNotListening,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ETIMEDOUT,
		syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EACCES, syscall.EPERM,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// probeTCP connects from the netns at path; the dial happens on the thread
// that entered the namespace.
func probeTCP(ctx context.Context, path string, dst netip.AddrPort) error {
	var derr error
	err := inNetns(path, func() error {
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

// probeUDP sends a random nonce and waits for the echo.
func probeUDP(ctx context.Context, path string, dst netip.AddrPort) error {
	var conn *net.UDPConn
	err := inNetns(path, func() error {
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

// probeSCTP sends an INIT from a raw socket in the netns at path and waits
// for dst's raw receiver to see it.
func probeSCTP(ctx context.Context, path string, dst *pod, ap netip.AddrPort) error {
	rx := dst.sctpRx[0]
	if ap.Addr().Is6() {
		rx = dst.sctpRx[1]
	}
	if rx == nil || !dst.sctp[int32(ap.Port())] {
		return errNotListening
	}
	k, seen := rx.expect(ap.Port())
	defer rx.forget(k)
	if err := inNetns(path, func() error { return sendSCTPInit(ap.Addr(), k) }); err != nil {
		return err
	}
	select {
	case <-seen:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package harness

import (
	"errors"
	"fmt"
	"net"
	"time"
)

// startListeners opens, inside the pod's namespace, a TCP listener for each
// TCP port, a UDP echo server for each UDP port, and raw SCTP receivers if
// the pod declares SCTP ports. Wildcard sockets are dual-stack.
func (c *Cluster) startListeners(p *pod) error {
	err := inNetns(netnsPath(p.netns), func() error {
		for _, port := range p.tcp {
			ln, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
			if err != nil {
				return fmt.Errorf("tcp listener on port %d: %w", port, err)
			}
			c.addCloser(ln)
			go acceptLoop(ln)
		}
		for _, port := range p.udp {
			pc, err := net.ListenPacket("udp", fmt.Sprintf(":%d", port))
			if err != nil {
				return fmt.Errorf("udp listener on port %d: %w", port, err)
			}
			c.addCloser(pc)
			go echoLoop(pc, func(b []byte) { p.udpSeen.saw(port, b) })
		}
		if len(p.sctp) == 0 {
			return nil
		}
		for i, fam := range []int{4, 6} {
			if _, ok := p.ip(fam); !ok {
				continue
			}
			rx, err := newSCTPReceiver(fam)
			if err != nil {
				return err
			}
			c.addCloser(rx)
			p.sctpRx[i] = rx
			go rx.loop()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pod %s (netns %s): %w", p.key, p.netns, err)
	}
	return nil
}

// acceptLoop accepts and immediately closes connections until ln is closed.
func acceptLoop(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(time.Millisecond) // e.g. EMFILE: do not spin
			continue
		}
		conn.Close()
	}
}

// echoLoop sends every datagram back to its sender until pc is closed,
// after handing it to seen (nil: ignored).
func echoLoop(pc net.PacketConn, seen func([]byte)) {
	buf := make([]byte, 2048)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		if seen != nil {
			seen(buf[:n])
		}
		pc.WriteTo(buf[:n], from)
	}
}

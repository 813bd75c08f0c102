package conntrack

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestDeleteMany deletes a thousand entries in one call and checks they are all gone, then does the same one
// request per sendmsg, and logs both rates: the batched call must stay in the milliseconds.
func TestDeleteMany(t *testing.T) {
	const n = 1000
	_, path, c := scratchNS(t, trackAll)
	var from netip.AddrPort
	var sock net.PacketConn
	// n datagrams from one socket to n ports: n entries (nobody listens; the port unreachable answers are
	// related to them and leave them in place).
	send := func(base int) {
		inNS(t, path, func() error {
			for p := base; p < base+n; p++ {
				if _, err := sock.WriteTo([]byte("x"), &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: p}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	inNS(t, path, func() (err error) {
		sock, err = net.ListenPacket("udp4", "127.0.0.1:0")
		return err
	})
	closeAtEnd(t, sock)
	from = addrPort(sock.LocalAddr())
	ours := func() []Flow {
		t.Helper()
		flows, err := c.Flows()
		if err != nil {
			t.Fatal(err)
		}
		var out []Flow
		for _, f := range flows {
			if f.Proto == unix.IPPROTO_UDP && f.Src == from.Addr() && f.SrcPort == from.Port() {
				out = append(out, f)
			}
		}
		return out
	}

	for _, tc := range []struct {
		name  string
		chunk int
		base  int
	}{{"batched", c.chunk, 20000}, {"one per sendmsg", 1, 30000}} {
		send(tc.base)
		flows := ours()
		if len(flows) != n {
			t.Fatalf("%s: %d entries from %s, want %d", tc.name, len(flows), from, n)
		}
		saved := c.chunk
		c.chunk = tc.chunk
		start := time.Now()
		deleted, err := c.Delete(flows)
		took := time.Since(start)
		c.chunk = saved
		if err != nil || deleted != n {
			t.Fatalf("%s: Delete = %d, %v", tc.name, deleted, err)
		}
		if left := ours(); len(left) != 0 {
			t.Fatalf("%s: %d entries left after Delete, e.g. %s", tc.name, len(left), left[0])
		}
		t.Logf("%s (%d per sendmsg): deleted %d entries in %v (%.0f/s)", tc.name, tc.chunk, n, took,
			float64(n)/took.Seconds())
		if tc.chunk > 1 && took > time.Second {
			t.Errorf("%s: %d deletes took %v", tc.name, n, took)
		}
	}
}

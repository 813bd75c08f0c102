package nflog

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
)

// These tests load rules into a scratch network namespace and send real packets through its loopback; they need
// root and fail (not skip) without it.

const (
	waitFor  = 5 * time.Second
	maxDelay = 500 * time.Millisecond
)

// scratch makes a network namespace with lo up and ruleset loaded, and returns its path.
func scratch(t *testing.T, ruleset string) string {
	t.Helper()
	name, path := netnstest.New(t, "nflog")
	if _, err := netnstest.Exec(t, name, "", "ip", "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	if _, err := netnstest.Exec(t, name, ruleset, "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	return path
}

func openReader(t *testing.T, path string, group uint16, rcvbuf int) *Reader {
	t.Helper()
	r, err := open(path, group, rcvbuf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

type got struct {
	p   Packet
	at  time.Time
	err error
}

// pump reads r on a goroutine of its own, so a reader that never returns fails the test after waitFor instead
// of hanging it. It ends when the reader is closed at cleanup.
func pump(t *testing.T, r *Reader) <-chan got {
	ch := make(chan got, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			p, err := r.Read()
			ch <- got{p, time.Now(), err}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		r.Close()
		for {
			select {
			case <-done:
				return
			case <-ch:
			}
		}
	})
	return ch
}

func next(t *testing.T, ch <-chan got) got {
	t.Helper()
	select {
	case g := <-ch:
		if g.err != nil {
			t.Fatalf("Read: %v", g.err)
		}
		return g
	case <-time.After(waitFor):
		t.Fatalf("no packet within %v", waitFor)
		return got{}
	}
}

// in runs fn on a thread inside the namespace at path; the sockets it makes live there.
func in(t *testing.T, path string, fn func() error) {
	t.Helper()
	if err := netns.InNetns(path, fn); err != nil {
		t.Fatal(err)
	}
}

// sendUDP sends one datagram from inside the namespace and returns its source address and when it was sent.
func sendUDP(t *testing.T, path string, dst netip.AddrPort) (netip.AddrPort, time.Time) {
	t.Helper()
	var src netip.AddrPort
	var at time.Time
	in(t, path, func() error {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
		if err != nil {
			return err
		}
		defer c.Close()
		src = c.LocalAddr().(*net.UDPAddr).AddrPort()
		at = time.Now()
		_, err = c.Write([]byte("nflog test"))
		return err
	})
	return src, at
}

func addrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

const loggingRuleset = `table inet t {
	chain out {
		type filter hook output priority 0; policy accept;
		meta l4proto { tcp, udp } log group 7 prefix "pfx-1"
	}
}
`

func TestReadLoggedPackets(t *testing.T) {
	path := scratch(t, loggingRuleset)
	r := openReader(t, path, 7, rcvBuf)
	ch := pump(t, r)

	check := func(what string, sent time.Time, want Packet) {
		t.Helper()
		g := next(t, ch)
		if g.p != want {
			t.Fatalf("%s: got %+v, want %+v", what, g.p, want)
		}
		d := g.at.Sub(sent)
		t.Logf("%s: read %v after it was sent", what, d)
		// The kernel's default batching delivers a lone packet after its 1 s flush timer; a queue threshold of
		// one sends it at once (well under a millisecond here). The bound leaves room for a loaded machine.
		if d > maxDelay {
			t.Errorf("%s: read %v after it was sent, want under %v (is the group batching packets?)", what, d, maxDelay)
		}
	}

	dst4 := addrPort("127.0.0.1:9999")
	src4, at := sendUDP(t, path, dst4)
	check("UDP over IPv4", at, Packet{Prefix: "pfx-1", Family: 4, Src: src4.Addr(), Dst: dst4.Addr(), Proto: 17,
		SrcPort: src4.Port(), DstPort: dst4.Port()})

	dst6 := addrPort("[::1]:9998")
	src6, at := sendUDP(t, path, dst6)
	check("UDP over IPv6", at, Packet{Prefix: "pfx-1", Family: 6, Src: src6.Addr(), Dst: dst6.Addr(), Proto: 17,
		SrcPort: src6.Port(), DstPort: dst6.Port()})

	// Nothing listens: the SYN is logged on its way out, then the kernel's RST on its way back.
	dstTCP := addrPort("127.0.0.1:9997")
	at = time.Now()
	in(t, path, func() error {
		c, err := net.DialTimeout("tcp", dstTCP.String(), time.Second)
		if err == nil {
			c.Close()
			return errors.New("connected to a port nobody listens on")
		}
		return nil
	})
	syn := next(t, ch)
	t.Logf("TCP SYN: read %v after connect began", syn.at.Sub(at))
	p := syn.p
	if p.Prefix != "pfx-1" || p.Family != 4 || p.Proto != 6 || p.Src != dstTCP.Addr() || p.Dst != dstTCP.Addr() ||
		p.DstPort != dstTCP.Port() || p.SrcPort == 0 || p.TCPFlags&0x12 != 0x02 {
		t.Fatalf("TCP SYN: got %+v", p)
	}
	rst := next(t, ch).p
	if rst.Proto != 6 || rst.SrcPort != dstTCP.Port() || rst.DstPort != p.SrcPort || rst.TCPFlags&0x04 == 0 {
		t.Fatalf("TCP RST answering %+v: got %+v", p, rst)
	}
	if n := r.Skipped(); n != 0 {
		t.Errorf("Skipped = %d, want 0", n)
	}
	if n := r.Lost(); n != 0 {
		t.Errorf("Lost = %d, want 0", n)
	}
}

func TestCloseUnblocksRead(t *testing.T) {
	path := scratch(t, loggingRuleset)
	r, err := Open(path, 7)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := r.Read()
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Read block in recvmsg
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(waitFor):
		t.Fatal("Read still blocked after Close")
	}
	if _, err := r.Read(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Read on a closed reader = %v, want net.ErrClosed", err)
	}
	if err := r.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close = %v, want net.ErrClosed", err)
	}
	// Closing freed the group for another socket.
	r2, err := Open(path, 7)
	if err != nil {
		t.Fatalf("bind the group again after Close: %v", err)
	}
	r2.Close()
}

func TestGroupAlreadyBound(t *testing.T) {
	path := scratch(t, loggingRuleset)
	openReader(t, path, 7, rcvBuf)
	if r, err := Open(path, 7); err == nil {
		r.Close()
		t.Fatal("a second socket bound group 7")
	} else {
		t.Logf("second bind: %v", err)
	}
}

func TestGroupsAreSeparate(t *testing.T) {
	path := scratch(t, `table inet t {
	chain out {
		type filter hook output priority 0; policy accept;
		udp dport 9999 log group 7 prefix "seven"
		udp dport 9998 log group 8 prefix "eight"
	}
}
`)
	ch7 := pump(t, openReader(t, path, 7, rcvBuf))
	ch8 := pump(t, openReader(t, path, 8, rcvBuf))
	// Interleaved, so each group's first and second packets prove it saw nothing of the other between them.
	a, _ := sendUDP(t, path, addrPort("127.0.0.1:9998"))
	b, _ := sendUDP(t, path, addrPort("127.0.0.1:9999"))
	c, _ := sendUDP(t, path, addrPort("127.0.0.1:9998"))
	d, _ := sendUDP(t, path, addrPort("127.0.0.1:9999"))
	for _, w := range []struct {
		ch     <-chan got
		prefix string
		src    netip.AddrPort
	}{{ch8, "eight", a}, {ch7, "seven", b}, {ch8, "eight", c}, {ch7, "seven", d}} {
		p := next(t, w.ch).p
		if p.Prefix != w.prefix || p.SrcPort != w.src.Port() {
			t.Fatalf("want prefix %q from port %d, got %+v", w.prefix, w.src.Port(), p)
		}
	}
	select {
	case g := <-ch7:
		t.Errorf("group 7 read more: %+v, %v", g.p, g.err)
	case g := <-ch8:
		t.Errorf("group 8 read more: %+v, %v", g.p, g.err)
	case <-time.After(100 * time.Millisecond):
	}
}

// TestLost makes the kernel drop messages with a receive buffer far too small for a burst read by no one, then
// checks that every packet logged was either read or counted lost.
func TestLost(t *testing.T) {
	path := scratch(t, loggingRuleset)
	r := openReader(t, path, 7, 1) // the kernel raises it to its minimum, a few KiB
	const burst = 200
	in(t, path, func() error {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(addrPort("127.0.0.1:0")))
		if err != nil {
			return err
		}
		defer c.Close()
		for range burst {
			if _, err := c.WriteToUDPAddrPort([]byte("burst"), addrPort("127.0.0.1:9999")); err != nil {
				return err
			}
		}
		return nil
	})
	ch := pump(t, r)
	sent, read := burst, 0
	// A marker sent while the buffer is still full is lost too; send them until one arrives. Then a last one,
	// which follows everything sent before it: when it is read, nothing logged is still on its way.
	for marker := uint16(9000); ; marker++ {
		_, _ = sendUDP(t, path, netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), marker))
		sent++
		seen := false
		deadline := time.After(200 * time.Millisecond)
	drain:
		for {
			select {
			case g := <-ch:
				if g.err != nil {
					t.Fatalf("Read: %v", g.err)
				}
				read++
				if g.p.DstPort == marker {
					seen = true
					break drain
				}
			case <-deadline:
				break drain
			}
		}
		if seen {
			break
		}
		if marker == 9020 {
			t.Fatalf("no marker arrived; read %d of %d, lost %d", read, sent, r.Lost())
		}
	}
	last := addrPort("127.0.0.1:8999")
	sendUDP(t, path, last)
	sent++
	for {
		g := next(t, ch)
		read++
		if g.p.DstPort == last.Port() {
			break
		}
	}
	lost := r.Lost()
	t.Logf("sent %d, read %d, lost %d", sent, read, lost)
	if lost == 0 || uint64(read)+lost != uint64(sent) {
		t.Fatalf("read %d + lost %d != sent %d (or nothing lost)", read, lost, sent)
	}
	if r.Skipped() != 0 {
		t.Errorf("Skipped = %d", r.Skipped())
	}
}

func TestOpenNoSuchNamespace(t *testing.T) {
	_, err := Open("/run/netns/nftp-nflog-does-not-exist", 7)
	if err == nil {
		t.Fatal("Open in a namespace that does not exist succeeded")
	}
	if want := "NFLOG group 7"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
}

package conntrack

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/netns"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
)

// scratchNS makes a network namespace of the test's own with lo up and ruleset loaded (conntrack tracks
// nothing in a namespace until a rule there uses it), and opens a Conn in it. Both go away at the test's end.
func scratchNS(t *testing.T, ruleset string) (name, path string, c *Conn) {
	t.Helper()
	name, path = netnstest.New(t, "ct")
	if _, err := netnstest.Exec(t, name, "", "ip", "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}
	loadRuleset(t, name, ruleset)
	c, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return name, path, c
}

func loadRuleset(t *testing.T, name, ruleset string) {
	t.Helper()
	if _, err := netnstest.Exec(t, name, ruleset, "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
}

// inNS runs fn with the calling thread in the namespace at path: sockets made there live in it.
func inNS(t *testing.T, path string, fn func() error) {
	t.Helper()
	if err := netns.InNetns(path, fn); err != nil {
		t.Fatal(err)
	}
}

// closeAtEnd closes c when the test ends.
func closeAtEnd[C interface{ Close() error }](t *testing.T, c C) C {
	t.Cleanup(func() { c.Close() })
	return c
}

// tcpPair connects to a new listener on addr ("127.0.0.1:0" or "[::1]:0") and returns both ends of the
// connection. Must run inside the namespace.
func tcpPair(t *testing.T, addr string) (client, server *net.TCPConn, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	defer ln.Close()
	cl, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		return nil, nil, err
	}
	closeAtEnd(t, cl)
	sv, err := ln.Accept()
	if err != nil {
		return nil, nil, err
	}
	closeAtEnd(t, sv)
	return cl.(*net.TCPConn), sv.(*net.TCPConn), nil
}

func addrPort(a net.Addr) netip.AddrPort {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort()
	case *net.UDPAddr:
		return a.AddrPort()
	}
	panic("not a TCP or UDP address: " + a.String())
}

// find returns the flow with this protocol and original tuple.
func find(flows []Flow, proto uint8, src, dst netip.AddrPort) (Flow, bool) {
	for _, f := range flows {
		if f.Proto == proto && f.Src == src.Addr() && f.Dst == dst.Addr() && f.SrcPort == src.Port() &&
			f.DstPort == dst.Port() {
			return f, true
		}
	}
	return Flow{}, false
}

func dumpFlows(flows []Flow) string {
	var b strings.Builder
	for _, f := range flows {
		b.WriteString("\n\t" + f.String())
	}
	return b.String()
}

func netnstestExec(t *testing.T, name string, argv ...string) (string, error) {
	t.Helper()
	return netnstest.Exec(t, name, "", argv...)
}

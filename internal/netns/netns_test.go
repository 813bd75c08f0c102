package netns

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it creates network namespaces (CI runs as root)")
	}
}

func TestCheckOwned(t *testing.T) {
	for _, name := range []string{"", "default", "nftp", "xnftp-a", "nftp-a/b", "nftp-a b", "nftp-a\n"} {
		if CheckOwned(name) == nil {
			t.Errorf("CheckOwned(%q) accepted", name)
		}
	}
	if err := CheckOwned("nftp-lab-abc123-p0"); err != nil {
		t.Error(err)
	}
	id, err := NewID("lab-")
	if err != nil || len(id) != len("nftp-lab-")+6 || !strings.HasPrefix(id, "nftp-lab-") {
		t.Errorf("NewID = %q, %v", id, err)
	}
	// Nothing runs for a foreign name.
	if err := Batch("default", []string{"link add x type dummy"}); err == nil {
		t.Error("Batch in a foreign namespace")
	}
	if _, err := Exec("default", "", "true"); err == nil {
		t.Error("Exec in a foreign namespace")
	}
	if err := Add("nftp-ok", "root"); err == nil {
		t.Error("Add of a foreign name")
	}
	if err := SetSysctls("default", [][2]string{{"net.ipv4.ip_forward", "1"}}); err == nil {
		t.Error("SetSysctls in a foreign namespace")
	}
	if err := Delete("default", "nftp-does-not-exist-0"); err != nil {
		t.Errorf("Delete of absent and foreign names: %v", err)
	}
}

func TestSCTPPacket(t *testing.T) {
	b := sctpInit(40000, 9999, 0xdeadbeef)
	port, nonce, ok := parseSCTPInit(b)
	if !ok || port != 9999 || nonce != 0xdeadbeef {
		t.Fatalf("parse = %d, %x, %v", port, nonce, ok)
	}
	b[20] ^= 1
	if _, _, ok := parseSCTPInit(b); ok {
		t.Error("a packet with a bad checksum parsed")
	}
}

func TestBlocked(t *testing.T) {
	for _, err := range []error{
		context.DeadlineExceeded, os.ErrDeadlineExceeded, ErrNotListening,
		fmt.Errorf("dial: %w", syscall.ECONNREFUSED), syscall.EHOSTUNREACH,
	} {
		if !Blocked(err) {
			t.Errorf("Blocked(%v) = false", err)
		}
	}
	for _, err := range []error{errors.New("boom"), syscall.EBADF, syscall.EMFILE} {
		if Blocked(err) {
			t.Errorf("Blocked(%v) = true", err)
		}
	}
}

// TestNamespaceLifecycle creates a namespace, configures it, serves and
// probes all three protocols over its loopback, and deletes it.
func TestNamespaceLifecycle(t *testing.T) {
	requireRoot(t)
	id, err := NewID("nt-")
	if err != nil {
		t.Fatal(err)
	}
	ns := id + "-a"
	if err := Add(ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := Delete(ns); err != nil {
			t.Error(err)
		}
	})
	if err := SetSysctls(ns, [][2]string{{"net.ipv6.conf.all.accept_dad", "0"}, {"net.ipv4.ip_forward", "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := Batch(ns, []string{"link set lo up", "link add d0 type veth peer name d1", "addr add 10.9.9.9/32 dev d0", "link set d0 up", "link set d1 up"}); err != nil {
		t.Fatal(err)
	}
	out, err := Exec(ns, "", "cat", "/proc/sys/net/ipv4/ip_forward")
	if err != nil || strings.TrimSpace(out) != "1" {
		t.Errorf("ip_forward in %s: %q, %v", ns, out, err)
	}
	if err := Batch(ns, []string{"link add d0 type veth peer name d1"}); err == nil || !strings.Contains(err.Error(), ns) {
		t.Errorf("failing batch: %v", err)
	}

	path := Path(ns)
	l, err := Listen(path, ListenSpec{TCP: []uint16{80}, UDP: []uint16{53}, SCTP: []int{4, 6}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.SCTP(4) == nil || l.SCTP(6) == nil || l.SCTP(5) != nil {
		t.Error("SCTP receivers")
	}
	if _, err := Listen(path, ListenSpec{TCP: []uint16{80}}); err == nil {
		t.Error("a second listener on TCP port 80")
	}
	for _, a := range []string{"10.9.9.9", "127.0.0.1", "::1"} {
		addr := netip.MustParseAddr(a)
		fam := 4
		if addr.Is6() {
			fam = 6
		}
		probe := func(name string, port uint16, want bool, f func(ctx context.Context, dst netip.AddrPort) error) {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			err := f(ctx, netip.AddrPortFrom(addr, port))
			if (err == nil) != want || (err != nil && !Blocked(err)) {
				t.Errorf("%s to %s port %d: %v, want success=%v", name, addr, port, err, want)
			}
		}
		tcp := func(ctx context.Context, d netip.AddrPort) error { return ProbeTCP(ctx, path, d) }
		udp := func(ctx context.Context, d netip.AddrPort) error { return ProbeUDP(ctx, path, d) }
		sctp := func(ctx context.Context, d netip.AddrPort) error { return ProbeSCTP(ctx, path, l.SCTP(fam), d) }
		probe("tcp", 80, true, tcp)
		probe("tcp", 81, false, tcp)
		probe("udp", 53, true, udp)
		probe("sctp", 9999, true, sctp)
	}
	// The root namespace has no 10.9.9.9: the same probe from there would
	// fail, but the probes above ran inside ns.
	if err := l.Close(); err != nil {
		t.Error(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := Delete(ns); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s after Delete: %v", path, err)
	}
}

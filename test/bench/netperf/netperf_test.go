package netperf_test

import (
	"net/netip"
	"runtime"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/labnet"
	"github.com/nftpolicy/nftpolicy/internal/netns"
	"github.com/nftpolicy/nftpolicy/test/bench/netperf"
)

// TestMeasuresAndFailsOnDrop runs the client and server between two pods of a routed lab node: connections and
// round trips are timed, and a drop rule in the node makes the client fail within its timeout instead of
// hanging or reporting times.
func TestMeasuresAndFailsOnDrop(t *testing.T) {
	n, err := labnet.New(labnet.Config{Topology: labnet.Routed, StateRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	cli, srv := netip.MustParseAddr("10.9.0.10"), netip.MustParseAddr("10.9.0.11")
	for key, ip := range map[string]netip.Addr{"bench/client": cli, "bench/server": srv} {
		if err := n.AddPod(key, []netip.Addr{ip}, nil); err != nil {
			t.Fatal(err)
		}
	}
	cpu := runtime.NumCPU() - 1
	spath, _ := n.PodNetnsPath("bench/server")
	cpath, _ := n.PodNetnsPath("bench/client")
	dst := netip.AddrPortFrom(srv, 5201)
	s, err := netperf.Serve(spath, cpu, dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	c := netperf.Client{Netns: cpath, CPU: cpu, Addr: cli}

	conns, err := c.Connects(dst, [2]uint16{20000, 20099}, 100)
	if err != nil {
		t.Fatal(err)
	}
	rts, err := c.RoundTrips(dst, 20100, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(conns) != 100 || len(rts) != 100 || netperf.Median(conns) <= 0 || netperf.Median(rts) <= 0 {
		t.Fatalf("got %d connections (median %s), %d round trips (median %s)", len(conns), netperf.Median(conns),
			len(rts), netperf.Median(rts))
	}
	t.Logf("median: connection %s, round trip %s", netperf.Median(conns), netperf.Median(rts))
	if _, err := c.Connects(dst, [2]uint16{20000, 20001}, 5); err == nil {
		t.Error("5 connections from a range of 2 ports: no error")
	}

	drop := "table inet nftp-netperf-test {\n chain f {\n  type filter hook forward priority 0; tcp dport 5201 drop\n }\n}\n"
	if _, err := netns.Exec(nodeName(n), drop, "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Connects(dst, [2]uint16{20200, 20299}, 1); err == nil {
		t.Error("a connection through a drop rule was measured")
	}
}

func nodeName(n *labnet.Net) string { return n.ID() + "-node" }

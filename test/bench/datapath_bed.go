package bench

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/labnet"
	"github.com/nftpolicy/nftpolicy/internal/netns"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
	"github.com/nftpolicy/nftpolicy/test/bench/netperf"
)

// Sizes of one measurement phase.
const (
	warmConnects = 40   // connections opened and not counted at the start of a phase
	connects     = 360  // connections timed per phase (7 rounds × 20 phases × (40+360+1) ports fit firstPort..lastPort)
	roundTrips   = 2000 // request/response exchanges timed per phase (after warmRounds)
	warmRounds   = 100
	drops        = 2000 // datagrams the intruder sends per phase, timed (after warmDrops)
	warmDrops    = 100
	firstPort    = 1024 // client source ports of the phases: firstPort.., up to the ephemeral range
	lastPort     = 59999
)

// bed is one lab node (labnet) with the client, server and intruder pods, the server listening on ServerPort
// on a pinned real-time thread, and a connection to nftables in the node's namespace.
type bed struct {
	net      *labnet.Net
	nodeNs   string // the node namespace's name, for nft -f
	conn     *kernel.Conn
	client   netperf.Client
	intruder netperf.Client
	server   netip.AddrPort
	nextPort int
}

// newBed builds the testbed of one topology; everything is removed in b.Cleanup.
func newBed(b testing.TB, topology labnet.Topology) *bed {
	n, err := labnet.New(labnet.Config{Topology: topology, ProbeTimeout: 300 * time.Millisecond, StateRoot: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := n.Close(); err != nil {
			b.Error(err)
		}
	})
	for key, ip := range map[string]netip.Addr{clientKey: clientIP, serverKey: serverIP, intruderKey: intruderIP} {
		if err := n.AddPod(key, []netip.Addr{ip}, nil); err != nil {
			b.Fatal(err)
		}
	}
	path := func(key string) string {
		p, err := n.PodNetnsPath(key)
		if err != nil {
			b.Fatal(err)
		}
		return p
	}
	// The client's ephemeral ports (the sanity probes') stay above the ranges the phases bind explicitly.
	if err := netns.SetSysctls(filepath.Base(path(clientKey)), [][2]string{{"net.ipv4.ip_local_port_range", "60000 65000"}}); err != nil {
		b.Fatal(err)
	}
	cpu := runtime.NumCPU() - 1 // client, server and their softirqs share the last CPU
	d := &bed{net: n, nodeNs: filepath.Base(n.NodeNetnsPath()), nextPort: firstPort,
		client:   netperf.Client{Netns: path(clientKey), CPU: cpu, Addr: clientIP},
		intruder: netperf.Client{Netns: path(intruderKey), CPU: cpu, Addr: intruderIP},
		server:   netip.AddrPortFrom(serverIP, ServerPort)}
	srv, err := netperf.Serve(path(serverKey), cpu, d.server)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := srv.Close(); err != nil {
			b.Error(err)
		}
	})
	if d.conn, err = kernel.Open(n.NodeNetnsPath()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.conn.Close() })
	return d
}

// sample is the medians of one phase.
type sample struct{ connect, roundTrip, drop time.Duration }

// measure runs one phase: warm-up connections, timed connections, then round trips on one connection, each
// from source ports no earlier phase used, then UDP datagrams from the intruder to the server (dropped when the
// ruleset enforces).
func (d *bed) measure() (sample, error) {
	ports, err := d.ports(warmConnects + connects + 1)
	if err != nil {
		return sample{}, err
	}
	ts, err := d.client.Connects(d.server, [2]uint16{ports[0], ports[1] - 1}, warmConnects+connects)
	if err != nil {
		return sample{}, err
	}
	rts, err := d.client.RoundTrips(d.server, ports[1], warmRounds+roundTrips)
	if err != nil {
		return sample{}, err
	}
	ds, err := d.intruder.Sends(netip.AddrPortFrom(serverIP, ServerPort), warmDrops+drops)
	if err != nil {
		return sample{}, err
	}
	return sample{connect: netperf.Median(ts[warmConnects:]), roundTrip: netperf.Median(rts[warmRounds:]),
		drop: netperf.Median(ds[warmDrops:])}, nil
}

// ports reserves n source ports.
func (d *bed) ports(n int) ([2]uint16, error) {
	first := d.nextPort
	if first+n-1 > lastPort {
		return [2]uint16{}, fmt.Errorf("out of client ports: %d more needed after %d", n, first)
	}
	d.nextPort += n
	return [2]uint16{uint16(first), uint16(first + n - 1)}, nil
}

// check proves the loaded ruleset is the one meant: the client reaches the server, the intruder does not
// (enforcing says whether the ruleset is supposed to drop anything).
func (d *bed) check(enforcing bool) error {
	ctx := context.Background()
	port := labnet.Port{Proto: labnet.TCP, Number: ServerPort}
	ok, err := d.net.Probe(ctx, clientKey, serverIP, port)
	if err != nil || !ok {
		return fmt.Errorf("client -> server: allowed %v, %v", ok, err)
	}
	ok, err = d.net.Probe(ctx, intruderKey, serverIP, port)
	if err != nil || ok == enforcing {
		return fmt.Errorf("intruder -> server: allowed %v (want %v), %v", ok, !enforcing, err)
	}
	return nil
}

// nft loads text with nft -f into the node's namespace.
func (d *bed) nft(text string, args ...string) error {
	if len(args) == 0 {
		args = []string{"-f", "-"}
	}
	_, err := netns.Exec(d.nodeNs, text, append([]string{"nft"}, args...)...)
	return err
}

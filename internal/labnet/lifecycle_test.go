package labnet

import (
	"context"
	"net/netip"
	"os"
	"slices"
	"testing"
)

// TestRemoveAndReAdd: a removed pod's namespace and veth are gone, probes
// from it are errors and to it false; the same key and address can come
// back (in a new namespace) and work again.
func TestRemoveAndReAdd(t *testing.T) {
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			t.Parallel()
			n := newNet(t, topo)
			mustAddPod(t, n, "x/a", "10.1.0.10", "fd00:1::10")
			mustAddPod(t, n, "x/b", "10.1.0.11", "fd00:1::11")
			mustAddPod(t, n, "x/c", "10.2.0.10")
			b4, b6 := netip.MustParseAddr("10.1.0.11"), netip.MustParseAddr("fd00:1::11")
			expectProbes(t, n, []probeCase{{"x/a", b4, Port{TCP, 80}, true}, {"x/a", b6, Port{SCTP, 9999}, true}})

			if err := n.RemovePod("x/b"); err != nil {
				t.Fatal(err)
			}
			id := n.ID()
			if got := labNetns(t, id); !slices.Equal(got, []string{id + "-node", id + "-p0", id + "-p2"}) {
				t.Errorf("namespaces after removing x/b: %v", got)
			}
			if linkExists(id+"-node", "p1") {
				t.Error("the node still has p1")
			}
			if got := n.Pods(); !slices.Equal(got, []string{"x/a", "x/c"}) {
				t.Errorf("Pods() = %v", got)
			}
			expectProbes(t, n, []probeCase{{"x/a", b4, Port{TCP, 80}, false}, {"x/a", b6, Port{UDP, 53}, false}, {"x/a", b4, Port{SCTP, 9999}, false}})
			if _, err := n.Probe(context.Background(), "x/b", netip.MustParseAddr("10.1.0.10"), Port{TCP, 80}); err == nil {
				t.Error("probe from a removed pod: no error")
			}
			wantErr(t, n.RemovePod("x/b"), "x/b", "no such pod")

			// Removing x/c, the last pod of 10.2.0.0/24, takes its gateway
			// off br0; an external may take x/c's address.
			if err := n.RemovePod("x/c"); err != nil {
				t.Fatal(err)
			}
			if topo == Bridge && n.gatewayPresent(netip.MustParsePrefix("10.2.0.0/24")) {
				t.Error("br0 still has 10.2.0.1")
			}
			mustAddExternal(t, n, "10.2.0.10")
			wantErr(t, n.RemovePod("10.2.0.10"), "no such pod")

			mustAddPod(t, n, "x/b", "10.1.0.11", "fd00:1::11")
			if got := labNetns(t, id); !slices.Contains(got, id+"-p3") || slices.Contains(got, id+"-p1") {
				t.Errorf("namespaces after re-adding x/b: %v", got)
			}
			expectProbes(t, n, []probeCase{
				{"x/a", b4, Port{TCP, 80}, true}, {"x/a", b6, Port{UDP, 53}, true}, {"x/a", b4, Port{SCTP, 9999}, true},
				{"x/b", netip.MustParseAddr("10.2.0.10"), Port{TCP, 80}, true},
				{"10.2.0.10", b4, Port{UDP, 53}, true},
			})
		})
	}
}

// TestRejects: bad keys, addresses and ports are refused with errors that
// name the pod and the address, and leave nothing behind.
func TestRejects(t *testing.T) {
	n := newNet(t, Bridge)
	mustAddPod(t, n, "x/a", "10.1.0.10", "fd00:1::10")
	mustAddExternal(t, n, "192.0.2.10")
	mustAddExternal(t, n, "192.0.2.1") // the gateway of 192.0.2.0/24, which has no pods
	for _, c := range []struct {
		key  string
		ips  []string
		want string
	}{
		{"x/gw", []string{"10.1.0.1"}, "gateway"},
		{"x/gw6", []string{"10.1.0.20", "fd00:1::1"}, "gateway"},
		{"x/net", []string{"10.1.0.0"}, "network address"},
		{"x/net6", []string{"fd00:1::"}, "network address"},
		{"x/bcast", []string{"10.1.0.255"}, "broadcast"},
		{"x/dup", []string{"10.1.0.10"}, "in use"},
		{"x/dupext", []string{"192.0.2.10"}, "in use"},
		{"x/extgw", []string{"192.0.2.20"}, "192.0.2.1, the gateway of 192.0.2.0/24 (the subnet of 192.0.2.20), is external 192.0.2.1"},
		{"x/node", []string{"172.31.255.1"}, "node's own"},
		{"x/ll", []string{"169.254.1.1"}, "not a unicast"},
		{"x/lo", []string{"::1"}, "not a unicast"},
		{"x/two4", []string{"10.1.0.20", "10.1.0.21"}, "one per family"},
		{"x/none", nil, "1 or 2"},
		{"x/a", []string{"10.1.0.30"}, "exists"},
		{"noslash", []string{"10.1.0.30"}, "namespace/name"},
		{"/x", []string{"10.1.0.30"}, "namespace/name"},
	} {
		err := n.AddPod(c.key, addrs(c.ips...), allPorts)
		wantErr(t, err, c.key, c.want)
		if len(c.ips) > 0 && err != nil && c.want != "exists" && c.want != "namespace/name" && c.want != "one per family" {
			wantErr(t, err, c.ips[len(c.ips)-1])
		}
	}
	wantErr(t, n.AddPod("x/p", addrs("10.1.0.30"), []Port{{"ICMP", 1}}), "x/p", "protocol")
	wantErr(t, n.AddPod("x/p", addrs("10.1.0.30"), []Port{{TCP, 0}}), "x/p", "number 0")
	// Inside a pod subnet an external may be anything but its network,
	// gateway or broadcast address (TestExternalInPodSubnetLifecycle).
	wantErr(t, n.AddExternal(netip.MustParseAddr("10.1.0.1"), nil), "10.1.0.1", "gateway of 10.1.0.0/24")
	wantErr(t, n.AddExternal(netip.MustParseAddr("fd00:1::"), nil), "fd00:1::", "network address of fd00:1::/64")
	wantErr(t, n.AddExternal(netip.MustParseAddr("192.0.2.10"), nil), "192.0.2.10", "in use")
	wantErr(t, n.AddExternal(netip.MustParseAddr("::ffff:192.0.2.11"), nil), "IPv4-mapped")

	id := n.ID()
	if got := labNetns(t, id); !slices.Equal(got, []string{id + "-node", id + "-p0", id + "-x0", id + "-x1"}) {
		t.Errorf("namespaces after the rejects: %v", got)
	}
	if got := n.Pods(); !slices.Equal(got, []string{"x/a"}) {
		t.Errorf("Pods() = %v", got)
	}
	// The next pod still gets p1.
	mustAddPod(t, n, "x/b", "10.1.0.11")
	if !slices.Contains(labNetns(t, id), id+"-p1") {
		t.Errorf("x/b is not in %s-p1: %v", id, labNetns(t, id))
	}

	// In the routed topology there are no gateways: x.y.z.1 is a pod like
	// any other.
	r := newNet(t, Routed)
	mustAddPod(t, r, "x/one", "10.1.0.1")
	mustAddPod(t, r, "x/two", "10.1.0.0")
	expectProbes(t, r, []probeCase{{"x/one", netip.MustParseAddr("10.1.0.0"), Port{TCP, 80}, true}})
}

// TestClose: Close removes every namespace and the state directory, is
// safe twice, and the lab refuses changes afterwards.
func TestClose(t *testing.T) {
	requireRoot(t)
	n, err := New(Config{StateRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if n.cfg.Topology != Bridge || n.cfg.ProbeTimeout != DefaultProbeTimeout {
		t.Errorf("defaults: %+v", n.cfg)
	}
	if !labIDPattern.MatchString(n.ID()) {
		t.Errorf("ID() = %q", n.ID())
	}
	if n.NodeNetnsPath() != "/run/netns/"+n.ID()+"-node" {
		t.Errorf("NodeNetnsPath() = %q", n.NodeNetnsPath())
	}
	pid, err := os.ReadFile(n.StateDir() + "/pid")
	if err != nil || string(pid) != itoa(os.Getpid())+"\n" {
		t.Errorf("pid file: %q, %v", pid, err)
	}
	mustAddPod(t, n, "x/a", "10.1.0.10")
	mustAddPod(t, n, "x/b", "fd00:1::10")
	mustAddExternal(t, n, "192.0.2.1")
	if got := labNetns(t, n.ID()); len(got) != 4 {
		t.Errorf("namespaces: %v", got)
	}
	// Probes running while Close starts finish first.
	done := make(chan error, 1)
	go func() {
		_, err := n.Probe(context.Background(), "x/a", netip.MustParseAddr("192.0.2.1"), Port{UDP, 9})
		done <- err
	}()
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	<-done
	if got := labNetns(t, n.ID()); len(got) != 0 {
		t.Errorf("namespaces after Close: %v", got)
	}
	if _, err := os.Stat(n.StateDir()); !os.IsNotExist(err) {
		t.Errorf("state directory after Close: %v", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wantErr(t, n.AddPod("x/c", addrs("10.1.0.12"), nil), "closed")
	wantErr(t, n.AddExternal(netip.MustParseAddr("192.0.2.2"), nil), "closed")
	if _, err := n.Probe(context.Background(), "x/a", netip.MustParseAddr("10.1.0.10"), Port{TCP, 80}); err == nil {
		t.Error("probe after Close: no error")
	}
	if _, err := New(Config{Topology: "mesh"}); err == nil {
		t.Error("New with an unknown topology")
	}
}

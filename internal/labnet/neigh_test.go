package labnet

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// neighEntry is one line of `ip neigh show nud all`.
type neighEntry struct{ ip, dev, mac, state string }

// neighTable lists the neighbour entries of the namespace ns.
func neighTable(t *testing.T, ns string) []neighEntry {
	t.Helper()
	out, err := netns.Exec(ns, "", "ip", "neigh", "show", "nud", "all")
	if err != nil {
		t.Fatal(err)
	}
	var l []neighEntry
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		e := neighEntry{ip: f[0], dev: f[2], state: f[len(f)-1]}
		if i := slices.Index(f, "lladdr"); i > 0 && i+1 < len(f) {
			e.mac = f[i+1]
		}
		l = append(l, e)
	}
	return l
}

// permanent returns the permanent entries on dev in ns as address → MAC.
func permanent(t *testing.T, ns, dev string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, e := range neighTable(t, ns) {
		if e.dev == dev && e.state == "PERMANENT" {
			m[e.ip] = e.mac
		}
	}
	return m
}

// neighCounts counts the neighbour entries of the lab's namespaces:
// permanent ones in the pods (names matching "-p") and in the node,
// multicast ones (NOARP: MLD reports) and every other, i.e. learnt by ARP
// or NDP, listed.
func neighCounts(t *testing.T, id string) (podPerm, nodePerm, noarp int, learnt []string) {
	t.Helper()
	for _, ns := range labNetns(t, id) {
		for _, e := range neighTable(t, ns) {
			switch {
			case e.state == "PERMANENT" && ns == id+"-node":
				nodePerm++
			case e.state == "PERMANENT" && strings.HasPrefix(ns, id+"-p"):
				podPerm++
			case e.state == "PERMANENT":
			case e.state == "NOARP" && netip.MustParseAddr(e.ip).IsMulticast():
				noarp++
			default:
				learnt = append(learnt, fmt.Sprintf("%s: %s dev %s %s %s", ns, e.ip, e.dev, e.mac, e.state))
			}
		}
	}
	return
}

// TestNeighbourEntries (bridge): every pod has permanent entries for its
// gateways and for every other endpoint of its subnets (br0's MAC for an
// external), the node for every pod on br0 and every external on its veth;
// they follow RemovePod, an external taking a removed pod's address and a
// pod taking one with another MAC; nothing is learnt by ARP or NDP.
func TestNeighbourEntries(t *testing.T) {
	n := newNet(t, Bridge)
	id := n.ID()
	mustAddPod(t, n, "s/a", "10.0.0.10", "fd00:10::10")
	mustAddPod(t, n, "s/b", "10.0.0.11", "fd00:10::11")
	mustAddExternal(t, n, "10.0.0.200")
	mustAddExternal(t, n, "fd00:10::200")
	mustAddExternal(t, n, "192.0.2.10")
	mustAddPod(t, n, "o/c", "10.0.1.10", "fd00:10::12") // shares s/a's /64, not its /24
	never := func(string) bool { return false }
	a, b, c := podMAC(addrs("10.0.0.10"), never), podMAC(addrs("10.0.0.11"), never), podMAC(addrs("10.0.1.10"), never)
	br := bridgeMAC
	want := func(ns, dev string, m map[string]string) {
		t.Helper()
		if got := permanent(t, ns, dev); !maps.Equal(got, m) {
			t.Errorf("permanent entries on %s in %s:\n got %v\nwant %v", dev, ns, got, m)
		}
	}
	want(id+"-p0", "eth0", map[string]string{"10.0.0.1": br, "fd00:10::1": br, "10.0.0.11": b, "fd00:10::11": b,
		"fd00:10::12": c, "10.0.0.200": br, "fd00:10::200": br})
	want(id+"-p2", "eth0", map[string]string{"10.0.1.1": br, "fd00:10::1": br, "fd00:10::10": a, "fd00:10::11": b,
		"fd00:10::200": br})
	want(id+"-node", "br0", map[string]string{"10.0.0.10": a, "fd00:10::10": a, "10.0.0.11": b, "fd00:10::11": b,
		"10.0.1.10": c, "fd00:10::12": c})
	want(id+"-node", "x0", map[string]string{"10.0.0.200": podMAC(addrs("10.0.0.200"), never)})
	want(id+"-x0", "eth0", map[string]string{"169.254.1.1": gatewayMAC})
	want(id+"-x1", "eth0", map[string]string{"fe80::1": gatewayMAC})
	eps := []ep{{"s/a", addrs("10.0.0.10", "fd00:10::10")}, {"s/b", addrs("10.0.0.11", "fd00:10::11")},
		{"o/c", addrs("10.0.1.10", "fd00:10::12")}, {"10.0.0.200", addrs("10.0.0.200")},
		{"fd00:10::200", addrs("fd00:10::200")}, {"192.0.2.10", addrs("192.0.2.10")}}
	expectProbes(t, n, allPairs(eps, allPorts, true))

	// s/b goes: nobody keeps entries for it. An external takes its IPv4
	// address, a pod with another MAC its IPv6 address.
	if err := n.RemovePod("s/b"); err != nil {
		t.Fatal(err)
	}
	want(id+"-p0", "eth0", map[string]string{"10.0.0.1": br, "fd00:10::1": br, "fd00:10::12": c, "10.0.0.200": br, "fd00:10::200": br})
	want(id+"-p2", "eth0", map[string]string{"10.0.1.1": br, "fd00:10::1": br, "fd00:10::10": a, "fd00:10::200": br})
	want(id+"-node", "br0", map[string]string{"10.0.0.10": a, "fd00:10::10": a, "10.0.1.10": c, "fd00:10::12": c})
	mustAddExternal(t, n, "10.0.0.11")
	mustAddPod(t, n, "s/d", "10.0.0.30", "fd00:10::11")
	d := podMAC(addrs("10.0.0.30"), never)
	want(id+"-p0", "eth0", map[string]string{"10.0.0.1": br, "fd00:10::1": br, "fd00:10::12": c, "10.0.0.200": br,
		"fd00:10::200": br, "10.0.0.11": br, "10.0.0.30": d, "fd00:10::11": d})
	want(id+"-p3", "eth0", map[string]string{"10.0.0.1": br, "fd00:10::1": br, "10.0.0.10": a, "fd00:10::10": a,
		"fd00:10::12": c, "10.0.0.200": br, "fd00:10::200": br, "10.0.0.11": br})
	eps = append(slices.Delete(eps, 1, 2), ep{"10.0.0.11", addrs("10.0.0.11")}, ep{"s/d", addrs("10.0.0.30", "fd00:10::11")})
	expectProbes(t, n, allPairs(eps, allPorts, true))
	if _, _, _, learnt := neighCounts(t, id); len(learnt) > 0 {
		t.Errorf("entries learnt by ARP/NDP:\n%s", strings.Join(learnt, "\n"))
	}

	// Routed: a pod has its gateways, the node the pod on its veth.
	r := newNet(t, Routed)
	mustAddPod(t, r, "x/a", "10.1.0.10", "fd00:1::10")
	mustAddPod(t, r, "x/b", "fd00:1::11")
	ra, rb := podMAC(addrs("10.1.0.10"), never), podMAC(addrs("fd00:1::11"), never)
	want(r.ID()+"-p0", "eth0", map[string]string{"169.254.1.1": gatewayMAC, "fe80::1": gatewayMAC})
	want(r.ID()+"-p1", "eth0", map[string]string{"fe80::1": gatewayMAC})
	want(r.ID()+"-node", "p0", map[string]string{"10.1.0.10": ra, "fd00:1::10": ra})
	want(r.ID()+"-node", "p1", map[string]string{"fd00:1::11": rb})
	expectProbes(t, r, []probeCase{{"x/a", netip.MustParseAddr("fd00:1::11"), Port{TCP, 80}, true}, {"x/b", netip.MustParseAddr("fd00:1::10"), Port{UDP, 53}, true}})
}

// TestManyPodsOneSubnet: 60 dual-stack pods in one /24 and one /64 need
// 7200 neighbour entries among them, far beyond the kernel's limit of
// 1024 dynamic entries per family for the whole machine (gc_thresh3). As
// permanent entries they are exempt: every pod reaches every other one,
// both families, and nothing is learnt by ARP or NDP; what is not
// permanent is the multicast entries of the MLD reports, at most one per
// interface.
func TestManyPodsOneSubnet(t *testing.T) {
	const pods = 60
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			n := newNet(t, topo)
			var eps []ep
			start := time.Now()
			var last time.Duration
			for i := range pods {
				e := ep{fmt.Sprintf("s/p%02d", i), addrs(fmt.Sprintf("10.0.0.%d", 10+i), fmt.Sprintf("fd00:10::%d", 10+i))}
				s := time.Now()
				mustAddPod(t, n, e.key, addrsString(e.ips)...)
				if i >= pods-10 {
					last += time.Since(s)
				}
				eps = append(eps, e)
			}
			t.Logf("%s: %d pods added in %v; the last 10 (with %d-%d peers each) in %v", topo, pods,
				time.Since(start).Round(time.Millisecond), pods-10, pods-1, last.Round(time.Millisecond))

			cases := allPairs(eps, []Port{{TCP, 80}}, true)
			if len(cases) != pods*(pods-1)*2 {
				t.Fatalf("%d probes", len(cases))
			}
			start = time.Now()
			expectProbes(t, n, cases)
			t.Logf("%s: %d TCP probes (all pairs, both families) in %v", topo, len(cases), time.Since(start).Round(time.Millisecond))

			podPerm, nodePerm, noarp, learnt := neighCounts(t, n.ID())
			t.Logf("%s: permanent entries: %d in the pods, %d in the node; multicast (MLD) entries: %d; learnt: %d",
				topo, podPerm, nodePerm, noarp, len(learnt))
			wantPod, wantNode := pods*2, pods*2 // routed: each pod its two gateways; the node each pod's two addresses
			if topo == Bridge {
				wantPod = pods * pods * 2 // each pod: pods-1 others and the gateway, per family
			}
			if podPerm != wantPod || nodePerm != wantNode {
				t.Errorf("permanent entries: %d in the pods, %d in the node; want %d, %d", podPerm, nodePerm, wantPod, wantNode)
			}
			if len(learnt) > 0 {
				t.Errorf("%d entries learnt by ARP/NDP, e.g.:\n%s", len(learnt), strings.Join(learnt[:min(len(learnt), 10)], "\n"))
			}
			if noarp+len(learnt) >= 2*pods+4 {
				t.Errorf("%d dynamic entries for %d pods", noarp+len(learnt), pods)
			}

			// Removing pods takes their entries away everywhere.
			start = time.Now()
			for i := range 10 {
				if err := n.RemovePod(eps[i].key); err != nil {
					t.Fatal(err)
				}
			}
			t.Logf("%s: 10 pods removed in %v", topo, time.Since(start).Round(time.Millisecond))
			podPerm, nodePerm, _, learnt = neighCounts(t, n.ID())
			if rest := pods - 10; topo == Bridge && (podPerm != rest*rest*2 || nodePerm != rest*2) {
				t.Errorf("after removing 10 pods: %d permanent entries in the pods, %d in the node; want %d, %d", podPerm, nodePerm, rest*rest*2, rest*2)
			}
			if len(learnt) > 0 {
				t.Errorf("entries learnt by ARP/NDP after removals:\n%s", strings.Join(learnt, "\n"))
			}
		})
	}
}

// TestProbeLabFaults: "unreachable" and "not permitted" on the way to an
// endpoint of the lab are errors, not a deny: the lab's ruleset only
// drops, so they mean that the lab's network is broken. To an address
// nobody has, unreachable is an ordinary false.
func TestProbeLabFaults(t *testing.T) {
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			t.Parallel()
			n, _ := testLab(t, topo)
			a := n.ID() + "-p0" // x/a
			if err := netns.Batch(a, []string{
				"route add unreachable 10.1.1.10/32",    // y/c
				"route add prohibit fd00:2::10/128",     // y/d
				"route add unreachable 198.51.100.9/32", // nobody
				"route add unreachable 172.31.255.1/32", // the node
			}); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, c := range []struct {
				to   string
				port Port
				want string
			}{
				{"10.1.1.10", Port{TCP, 80}, "no route to host"},
				{"10.1.1.10", Port{UDP, 53}, "no route to host"},
				{"10.1.1.10", Port{SCTP, 9999}, "no route to host"},
				{"fd00:2::10", Port{TCP, 80}, "permission denied"},
				{"172.31.255.1", Port{TCP, 80}, "no route to host"},
			} {
				ok, err := n.Probe(ctx, "x/a", netip.MustParseAddr(c.to), c.port)
				if ok {
					t.Errorf("probe to %s %s succeeded", c.to, c.port)
				}
				wantErr(t, err, "x/a", c.to, "network is broken", c.want)
			}
			expectProbes(t, n, []probeCase{
				{"x/a", netip.MustParseAddr("198.51.100.9"), Port{TCP, 80}, false},
				{"x/a", netip.MustParseAddr("198.51.100.9"), Port{UDP, 53}, false},
				{"x/b", netip.MustParseAddr("10.1.1.10"), Port{TCP, 80}, true},
			})

			if topo != Bridge {
				return
			}
			// Failed neighbour resolution: x/b no longer answers ARP and
			// x/a lost its entry for it (and gives up after one try in
			// 50ms).
			if err := netns.Batch(n.ID()+"-p1", []string{"link set eth0 arp off"}); err != nil {
				t.Fatal(err)
			}
			if err := netns.SetSysctls(a, [][2]string{
				{"net.ipv4.neigh.eth0.mcast_solicit", "1"}, {"net.ipv4.neigh.eth0.retrans_time_ms", "50"},
			}); err != nil {
				t.Fatal(err)
			}
			if err := setNeighbours(a, "eth0", nil, addrs("10.1.0.11")); err != nil {
				t.Fatal(err)
			}
			ok, err := n.Probe(ctx, "x/a", netip.MustParseAddr("10.1.0.11"), Port{TCP, 80})
			if ok {
				t.Error("probe to x/b without ARP succeeded")
			}
			wantErr(t, err, "network is broken", "no route to host")
		})
	}
}

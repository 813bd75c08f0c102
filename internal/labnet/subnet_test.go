package labnet

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// TestExternalInPodSubnet: an external host whose address lies inside a
// pod subnet ("pods at 10.0.0.10-11, external 10.0.0.200") reaches the pods
// of that subnet and of another one, both ways, whether it came before or
// after them; in the bridge topology the pods reach it through br0 (proxy
// ARP / NDP: their neighbour entry for it is br0's MAC) and each other
// directly. The forward-drop ruleset stops all of it, so none of it goes
// around the node's forward hook.
func TestExternalInPodSubnet(t *testing.T) {
	for _, topo := range []Topology{Bridge, Routed} {
		for _, order := range []string{"externals-first", "pods-first"} {
			t.Run(string(topo)+"/"+order, func(t *testing.T) {
				t.Parallel()
				n := newNet(t, topo)
				pods := []ep{
					{"s/a", addrs("10.0.0.10", "fd00:10::10")},
					{"s/b", addrs("fd00:10::11", "10.0.0.11")},
					{"o/c", addrs("10.0.1.10", "fd00:11::10")},
				}
				exts := []ep{{"10.0.0.200", addrs("10.0.0.200")}, {"fd00:10::200", addrs("fd00:10::200")}}
				addPods := func() {
					for _, e := range pods {
						mustAddPod(t, n, e.key, addrsString(e.ips)...)
					}
				}
				addExts := func() {
					for _, e := range exts {
						mustAddExternal(t, n, e.key)
					}
				}
				if order == "externals-first" {
					addExts()
					addPods()
				} else {
					addPods()
					addExts()
				}
				eps := append(slices.Clone(pods), exts...)
				if topo == Bridge {
					// s/a has s/b and the externals on its link.
					for _, to := range []string{"10.0.0.11", "fd00:10::11", "10.0.0.200", "fd00:10::200"} {
						wantOnLink(t, n.ID()+"-p0", to)
					}
				}
				cases := allPairs(eps, allPorts, true)
				expectProbes(t, n, cases)
				if topo == Bridge {
					checkProxied(t, n)
				}

				node := n.ID() + "-node"
				if _, err := netns.Exec(node, labtest, "nft", "-f", "-"); err != nil {
					t.Fatal(err)
				}
				for i := range cases {
					cases[i].want = false
				}
				expectProbes(t, n, cases)
				if _, err := netns.Exec(node, "", "nft", "delete", "table", "inet", "labtest"); err != nil {
					t.Fatal(err)
				}
				for i := range cases {
					cases[i].want = true
				}
				expectProbes(t, n, cases)
			})
		}
	}
}

// checkProxied: after the probes of TestExternalInPodSubnet, s/a (pod 0)
// has s/b's MAC for s/b and br0's for the externals, and the node answers
// s/a's unicast re-checks of those entries (NUD probes) too.
func checkProxied(t *testing.T, n *Net) {
	t.Helper()
	pod := n.ID() + "-p0"
	sb := podMAC(addrs("10.0.0.11"), func(string) bool { return false })
	for _, c := range []struct{ ip, mac string }{
		{"10.0.0.11", sb}, {"fd00:10::11", sb},
		{"10.0.0.200", bridgeMAC}, {"fd00:10::200", bridgeMAC},
	} {
		if got := neighbour(t, pod, c.ip); !strings.Contains(got, "lladdr "+c.mac+" ") {
			t.Errorf("s/a's neighbour entry for %s: %q, want lladdr %s", c.ip, got, c.mac)
		}
	}
	for _, ip := range []string{"10.0.0.200", "fd00:10::200"} {
		if _, err := netns.Exec(pod, "", "ip", "neigh", "replace", ip, "dev", "eth0", "lladdr", bridgeMAC, "nud", "probe"); err != nil {
			t.Fatal(err)
		}
	}
	for _, ip := range []string{"10.0.0.200", "fd00:10::200"} {
		deadline := time.Now().Add(3 * time.Second)
		for {
			got := neighbour(t, pod, ip)
			if strings.Contains(got, "REACHABLE") {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("s/a's neighbour entry for %s after a unicast probe: %q, want REACHABLE", ip, got)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// neighbour returns the neighbour entry for ip on eth0 in the namespace ns.
func neighbour(t *testing.T, ns, ip string) string {
	t.Helper()
	out, err := netns.Exec(ns, "", "ip", "neigh", "show", "to", ip, "dev", "eth0")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// wantOnLink fails unless ns reaches to directly on eth0, without a
// gateway.
func wantOnLink(t *testing.T, ns, to string) {
	t.Helper()
	out, err := netns.Exec(ns, "", "ip", "route", "get", to)
	if err != nil || !strings.Contains(out, "dev eth0") || strings.Contains(out, "via") {
		t.Fatalf("route from %s to %s: %q, %v", ns, to, out, err)
	}
}

// proxyEntries lists the addresses br0 has proxy entries for.
func proxyEntries(t *testing.T, n *Net) []string {
	t.Helper()
	out, err := netns.Exec(n.ID()+"-node", "", "ip", "-6", "neigh", "show", "proxy", "dev", "br0")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			got = append(got, f[0])
		}
	}
	slices.Sort(got)
	return got
}

// TestExternalInPodSubnetLifecycle (bridge): br0's proxy entry for an IPv6
// external inside a pod subnet follows the subnet's gateway (added with
// the subnet's first pod or with the external, removed with the subnet's
// last pod); the external stays reachable from other subnets meanwhile and
// from the subnet again when a pod comes back; an external may take the
// address of a removed pod, and a pod the IPv6 address of one with another
// MAC; the subnet's network, gateway and broadcast
// addresses stay refused either way round.
func TestExternalInPodSubnetLifecycle(t *testing.T) {
	n := newNet(t, Bridge)
	mustAddPod(t, n, "s/a", "10.0.0.10", "fd00:10::10")
	mustAddPod(t, n, "s/b", "10.0.0.11", "fd00:10::11")
	mustAddPod(t, n, "o/c", "10.0.1.10", "fd00:11::10")
	mustAddExternal(t, n, "10.0.0.200")
	mustAddExternal(t, n, "fd00:10::200")
	mustAddExternal(t, n, "fd00:12::200") // no pods in fd00:12::/64
	if got := proxyEntries(t, n); !slices.Equal(got, []string{"fd00:10::200"}) {
		t.Errorf("proxy entries: %v", got)
	}
	x4, x6 := netip.MustParseAddr("10.0.0.200"), netip.MustParseAddr("fd00:10::200")
	b4, b6 := netip.MustParseAddr("10.0.0.11"), netip.MustParseAddr("fd00:10::11")
	tcp, udp := Port{TCP, 80}, Port{UDP, 53}
	expectProbes(t, n, []probeCase{
		{"s/a", x4, tcp, true}, {"s/a", x6, udp, true}, {"s/a", b4, tcp, true}, {"s/a", b6, udp, true},
		{"10.0.0.200", b4, udp, true}, {"fd00:10::200", b6, tcp, true},
	})

	// Refused: the subnet's special addresses as externals, a pod at an
	// external's address, a pod whose new subnet has an external at its
	// gateway.
	for _, c := range []struct{ ip, want string }{
		{"10.0.0.1", "gateway"}, {"fd00:10::1", "gateway"},
		{"10.0.0.0", "network address"}, {"fd00:10::", "network address"},
		{"10.0.0.255", "broadcast"}, {"10.0.0.10", "in use"},
	} {
		wantErr(t, n.AddExternal(netip.MustParseAddr(c.ip), allPorts), c.ip, c.want)
	}
	wantErr(t, n.AddPod("s/x", addrs("10.0.0.200"), allPorts), "s/x", "10.0.0.200", "in use")
	wantErr(t, n.AddPod("s/x", addrs("fd00:10::200"), allPorts), "s/x", "in use")
	mustAddExternal(t, n, "10.0.2.1")   // no pods in 10.0.2.0/24 yet
	mustAddExternal(t, n, "10.0.3.255") // nor in 10.0.3.0/24
	mustAddExternal(t, n, "fd00:13::")  // nor in fd00:13::/64
	wantErr(t, n.AddPod("t/x", addrs("10.0.2.10"), allPorts), "t/x", "10.0.2.1, the gateway of 10.0.2.0/24", "external 10.0.2.1")
	wantErr(t, n.AddPod("t/x", addrs("10.0.3.10"), allPorts), "t/x", "broadcast address", "external 10.0.3.255")
	wantErr(t, n.AddPod("t/x", addrs("10.0.4.10", "fd00:13::10"), allPorts), "t/x", "network address", "external fd00:13::")

	// s/b goes and an external takes its addresses: s/a, which talked to
	// s/b, reaches the external at once.
	if err := n.RemovePod("s/b"); err != nil {
		t.Fatal(err)
	}
	mustAddExternal(t, n, "10.0.0.11")
	mustAddExternal(t, n, "fd00:10::11")
	expectProbes(t, n, []probeCase{
		{"s/a", b4, tcp, true}, {"s/a", b6, udp, true},
		{"10.0.0.11", netip.MustParseAddr("10.0.0.10"), udp, true},
		{"fd00:10::11", netip.MustParseAddr("fd00:10::10"), tcp, true},
	})
	if got := proxyEntries(t, n); !slices.Equal(got, []string{"fd00:10::11", "fd00:10::200"}) {
		t.Errorf("proxy entries: %v", got)
	}
	// Likewise a pod that takes the IPv6 address of another with a
	// different MAC (derived from its other IPv4 address): s/a and the
	// node (for o/c) reach it at once.
	e6 := netip.MustParseAddr("fd00:10::30")
	mustAddPod(t, n, "s/e", "10.0.0.30", "fd00:10::30")
	expectProbes(t, n, []probeCase{{"s/a", e6, tcp, true}, {"o/c", e6, tcp, true}})
	if err := n.RemovePod("s/e"); err != nil {
		t.Fatal(err)
	}
	mustAddPod(t, n, "s/f", "10.0.0.31", "fd00:10::30")
	expectProbes(t, n, []probeCase{{"s/a", e6, udp, true}, {"o/c", e6, udp, true}, {"s/f", netip.MustParseAddr("fd00:10::10"), tcp, true}})
	if err := n.RemovePod("s/f"); err != nil {
		t.Fatal(err)
	}

	// s/a was the subnet's last pod: the gateway and the proxy entries go;
	// o/c still reaches the externals of 10.0.0.0/24 and fd00:10::/64.
	if err := n.RemovePod("s/a"); err != nil {
		t.Fatal(err)
	}
	if n.gatewayPresent(netip.MustParsePrefix("10.0.0.0/24")) || n.gatewayPresent(netip.MustParsePrefix("fd00:10::/64")) {
		t.Error("br0 still has the gateways of 10.0.0.0/24 or fd00:10::/64")
	}
	if got := proxyEntries(t, n); len(got) != 0 {
		t.Errorf("proxy entries after the subnet's last pod: %v", got)
	}
	expectProbes(t, n, []probeCase{
		{"o/c", x4, tcp, true}, {"o/c", x6, udp, true}, {"o/c", b6, tcp, true},
		{"fd00:10::200", netip.MustParseAddr("fd00:11::10"), udp, true},
	})

	// A pod in the subnet again: gateway and proxy entries are back.
	mustAddPod(t, n, "s/d", "fd00:10::20", "10.0.0.20")
	if got := proxyEntries(t, n); !slices.Equal(got, []string{"fd00:10::11", "fd00:10::200"}) {
		t.Errorf("proxy entries after a pod came back: %v", got)
	}
	d4, d6 := netip.MustParseAddr("10.0.0.20"), netip.MustParseAddr("fd00:10::20")
	expectProbes(t, n, []probeCase{
		{"s/d", x4, tcp, true}, {"s/d", x6, udp, true}, {"s/d", b4, udp, true}, {"s/d", b6, tcp, true},
		{"10.0.0.200", d4, tcp, true}, {"fd00:10::200", d6, udp, true}, {"fd00:10::11", d6, tcp, true},
		{"o/c", d6, tcp, true}, {"s/d", netip.MustParseAddr("10.0.1.10"), udp, true},
	})
}

package labnet

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// testLab adds, to a fresh lab: x/a and x/b (dual-stack, one /24 and one
// /64), y/c (IPv4 only, another /24), y/d (IPv6 only, another /64) and two
// externals, one per family.
func testLab(t *testing.T, topo Topology) (*Net, []ep) {
	n := newNet(t, topo)
	eps := []ep{
		{"x/a", addrs("10.1.0.10", "fd00:1::10")},
		{"x/b", addrs("fd00:1::11", "10.1.0.11")},
		{"y/c", addrs("10.1.1.10")},
		{"y/d", addrs("fd00:2::10")},
	}
	for _, e := range eps {
		mustAddPod(t, n, e.key, addrsString(e.ips)...)
	}
	for _, ip := range []string{"192.0.2.10", "2001:db8::10"} {
		mustAddExternal(t, n, ip)
		eps = append(eps, ep{ip, addrs(ip)})
	}
	return n, eps
}

func addrsString(a []netip.Addr) []string {
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = x.String()
	}
	return out
}

// TestConnectivity: with no ruleset every endpoint reaches every address of
// every other one in its families, TCP, UDP and SCTP, pods and externals
// both ways; ports nobody listens on do not connect; lab faults are errors.
func TestConnectivity(t *testing.T) {
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			t.Parallel()
			n, eps := testLab(t, topo)
			cases := allPairs(eps, allPorts, true)
			if len(cases) < 60 {
				t.Fatalf("only %d probes", len(cases))
			}
			expectProbes(t, n, cases)
			expectProbes(t, n, allPairs(eps, []Port{{TCP, 81}, {UDP, 54}, {SCTP, 9998}}, false))

			if got := n.Pods(); !slices.Equal(got, []string{"x/a", "x/b", "y/c", "y/d"}) {
				t.Errorf("Pods() = %v", got)
			}
			if got := n.NodeIPs(); len(got) != 2 || got[0] != netip.MustParseAddr("172.31.255.1") || got[1] != netip.MustParseAddr("fd00:31:255::1") {
				t.Errorf("NodeIPs() = %v", got)
			}
			ctx := context.Background()
			a6 := netip.MustParseAddr("fd00:1::10")
			for _, c := range []struct {
				from string
				to   netip.Addr
				port Port
				want []string
			}{
				{"x/nope", a6, Port{TCP, 80}, []string{"x/nope", "unknown"}},
				{"y/c", a6, Port{TCP, 80}, []string{"y/c", "no IPv6"}},
				{"y/d", netip.MustParseAddr("10.1.0.10"), Port{UDP, 53}, []string{"no IPv4"}},
				{"x/b", a6, Port{"ICMP", 1}, []string{"protocol"}},
				{"x/b", a6, Port{TCP, 0}, []string{"number 0"}},
				{"x/b", netip.Addr{}, Port{TCP, 80}, []string{"invalid"}},
			} {
				ok, err := n.Probe(ctx, c.from, c.to, c.port)
				if ok {
					t.Errorf("probe %s -> %s %s succeeded", c.from, c.to, c.port)
				}
				wantErr(t, err, c.want...)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if ok, err := n.Probe(cctx, "x/b", a6, Port{TCP, 80}); ok || err == nil {
				t.Errorf("probe with a cancelled context: %v, %v", ok, err)
			}
			// An SCTP probe to an address nobody in the lab has is false.
			if ok, err := n.Probe(ctx, "x/a", netip.MustParseAddr("10.1.0.99"), Port{SCTP, 9999}); ok || err != nil {
				t.Errorf("SCTP to nobody: %v, %v", ok, err)
			}
		})
	}
}

// labtest drops everything the node forwards.
const labtest = `table inet labtest {
	chain forward {
		type filter hook forward priority filter; policy drop;
	}
}
`

// TestForwardDrop: a forward chain with policy drop in the node stops
// pod-to-pod traffic (bridged within one subnet, routed between subnets,
// routed veths) and traffic between pods and externals, both ways.
func TestForwardDrop(t *testing.T) {
	for _, topo := range []Topology{Bridge, Routed} {
		t.Run(string(topo), func(t *testing.T) {
			t.Parallel()
			n, eps := testLab(t, topo)
			node := n.ID() + "-node"
			if topo == Bridge {
				// x/a reaches x/b on its own link: the drop below hits
				// bridged traffic.
				out, err := netns.Exec(n.ID()+"-p0", "", "ip", "route", "get", "10.1.0.11")
				if err != nil || !strings.Contains(out, "dev eth0") || strings.Contains(out, "via") {
					t.Fatalf("route from x/a to x/b: %q, %v", out, err)
				}
			}
			if _, err := netns.Exec(node, labtest, "nft", "-f", "-"); err != nil {
				t.Fatal(err)
			}
			cases := allPairs(eps, allPorts, false)
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

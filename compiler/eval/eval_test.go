package eval

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

var (
	xa = ir.PodRef{Namespace: "x", Name: "a"}
	xb = ir.PodRef{Namespace: "x", Name: "b"}
	xc = ir.PodRef{Namespace: "x", Name: "c"}
	ya = ir.PodRef{Namespace: "y", Name: "a"}

	polAllow  = ir.PolicyRef{Namespace: "x", Name: "allow"}
	polDeny   = ir.PolicyRef{Namespace: "x", Name: "deny-all"}
	polEgress = ir.PolicyRef{Namespace: "x", Name: "egress"}
	polY      = ir.PolicyRef{Namespace: "y", Name: "deny-all"}
)

func addr(s string) netip.Addr     { return netip.MustParseAddr(s) }
func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func tcp(first, last uint16) ir.Port {
	return ir.Port{Protocol: ir.TCP, First: first, Last: last}
}

// Addresses: x/a 10.0.0.1 fd00::1, x/b 10.0.0.2 fd00::2, x/c 10.0.0.3 fd00::3, y/a 10.0.1.1 fd00:1::1; 192.0.2.x
// and 2001:db8::x are not pods.
var (
	xa4, xa6 = addr("10.0.0.1"), addr("fd00::1")
	xb4, xb6 = addr("10.0.0.2"), addr("fd00::2")
	xc4, xc6 = addr("10.0.0.3"), addr("fd00::3")
	ya4, ya6 = addr("10.0.1.1"), addr("fd00:1::1")
	ext4     = addr("192.0.2.7")
	ext6     = addr("2001:db8::7")
)

// testNode: x/a is isolated for ingress by x/allow and x/deny-all with the rules below; x/b for ingress by
// x/deny-all alone (nothing allowed); x/a for egress by x/egress; y/a is in no group.
//
// Ingress of x/a:
//   - x/allow ingress[0]: from x/b's addresses, TCP 80-81 and UDP 53
//   - x/allow ingress[1]: from 192.0.2.0/24 except 192.0.2.128/25 and 192.0.2.7/32, and from fd00::/16 except
//     fd00::2/128, every port
//   - x/allow ingress[2]: from any address, SCTP 9000
//   - x/allow ingress[3]: named ports that did not resolve: no Ports, not AllPorts — nothing
//
// Egress of x/a:
//   - x/egress egress[0]: to x/c's addresses, TCP 443 (and nothing through Peers on other ports)
//   - x/egress egress[1]: only named ports, resolved to y/a TCP 8080 (both families) and x/c UDP 5353; Peers.Any
//     but nothing through Peers since no port is numeric
func testNode() *ir.Node {
	return &ir.Node{Groups: []ir.Group{
		{
			Direction: ir.Ingress, Key: "ingress|x/allow,x/deny-all",
			Policies: []ir.PolicyRef{polAllow, polDeny},
			Members:  []ir.Member{{Pod: xa, IPs: []netip.Addr{xa4, xa6}}},
			Rules: []ir.Rule{
				{Policy: polAllow, Index: 0, Peers: ir.Peers{Addrs: []netip.Addr{xb4, xb6}},
					Ports: []ir.Port{tcp(80, 81), {Protocol: ir.UDP, First: 53, Last: 53}}},
				{Policy: polAllow, Index: 1, AllPorts: true, Peers: ir.Peers{Blocks: []ir.IPBlock{
					{CIDR: prefix("192.0.2.0/24"), Except: []netip.Prefix{prefix("192.0.2.7/32"), prefix("192.0.2.128/25")}},
					{CIDR: prefix("fd00::/16"), Except: []netip.Prefix{prefix("fd00::2/128")}},
				}}},
				{Policy: polAllow, Index: 2, Peers: ir.Peers{Any: true},
					Ports: []ir.Port{{Protocol: ir.SCTP, First: 9000, Last: 9000}}},
				{Policy: polAllow, Index: 3, Peers: ir.Peers{Any: true}},
			},
		},
		{
			Direction: ir.Ingress, Key: "ingress|x/deny-all",
			Policies: []ir.PolicyRef{polDeny},
			Members:  []ir.Member{{Pod: xb, IPs: []netip.Addr{xb4, xb6}}},
		},
		{
			Direction: ir.Egress, Key: "egress|x/egress",
			Policies: []ir.PolicyRef{polEgress},
			Members:  []ir.Member{{Pod: xa, IPs: []netip.Addr{xa4, xa6}}},
			Rules: []ir.Rule{
				{Policy: polEgress, Index: 0, Peers: ir.Peers{Addrs: []netip.Addr{xc4, xc6}}, Ports: []ir.Port{tcp(443, 443)}},
				{Policy: polEgress, Index: 1, Peers: ir.Peers{Any: true}, AddrPorts: []ir.AddrPort{
					{Addr: xc4, Port: ir.Port{Protocol: ir.UDP, First: 5353, Last: 5353}},
					{Addr: ya4, Port: tcp(8080, 8080)},
					{Addr: ya6, Port: tcp(8080, 8080)},
				}},
			},
		},
	}}
}

func refs(pairs ...any) []RuleRef {
	var out []RuleRef
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, RuleRef{Policy: pairs[i].(ir.PolicyRef), Index: pairs[i+1].(int)})
	}
	return out
}

// TestCheckIngress: x/a's ingress from sources that are not egress-isolated (x/b, x/c, y/a, outside addresses).
func TestCheckIngress(t *testing.T) {
	e := New(testNode())
	for _, tc := range []struct {
		src   netip.Addr
		proto ir.Protocol
		port  uint16
		want  []RuleRef // nil: denied
	}{
		// Addrs × port ranges: inclusive bounds, same protocol only.
		{xb4, ir.TCP, 79, nil},
		{xb4, ir.TCP, 80, refs(polAllow, 0)},
		{xb4, ir.TCP, 81, refs(polAllow, 0)},
		{xb4, ir.TCP, 82, nil},
		{xb4, ir.UDP, 80, nil},
		{xb4, ir.UDP, 53, refs(polAllow, 0)},
		{xb4, ir.SCTP, 80, nil},
		{xb6, ir.TCP, 80, refs(polAllow, 0)},
		{xb6, ir.UDP, 53, refs(polAllow, 0)},
		// Not in Addrs.
		{xc4, ir.TCP, 80, nil},
		{ya4, ir.TCP, 80, nil},
		// Any × SCTP 9000, whoever the peer.
		{xc4, ir.SCTP, 9000, refs(polAllow, 2)},
		{ext4, ir.SCTP, 9000, refs(polAllow, 2)},
		{ext6, ir.SCTP, 9000, refs(polAllow, 2)},
		{ext4, ir.SCTP, 9001, nil},
		{ext4, ir.TCP, 9000, nil},
		// Blocks with excepts, every port and protocol (also ones no NetworkPolicy names, like ICMP).
		{addr("192.0.2.1"), ir.TCP, 1, refs(polAllow, 1)},
		{addr("192.0.2.6"), ir.UDP, 65535, refs(polAllow, 1)},
		{addr("192.0.2.127"), ir.Protocol(1), 0, refs(polAllow, 1)},
		{addr("192.0.2.7"), ir.TCP, 80, nil},   // except /32
		{addr("192.0.2.128"), ir.TCP, 80, nil}, // except /25, first address
		{addr("192.0.2.255"), ir.TCP, 80, nil}, // except /25, last address
		{addr("192.0.3.1"), ir.TCP, 80, nil},   // outside the CIDR
		{addr("192.0.2.200"), ir.SCTP, 9000, refs(polAllow, 2)},
		// IPv6 block: fd00::/16 except fd00::2 — x/b's v6 address matches rule 0 on TCP 80, not rule 1.
		{xc6, ir.TCP, 12345, refs(polAllow, 1)},
		{ya6, ir.UDP, 1, refs(polAllow, 1)},
		{xb6, ir.TCP, 12345, nil},
		{addr("fd01::1"), ir.TCP, 80, nil},
		// An IPv4-mapped address is IPv6, inside no IPv4 CIDR and not fd00::/16.
		{addr("::ffff:192.0.2.1"), ir.TCP, 80, nil},
		// Several rules allow: sorted by policy, then index.
		{xc6, ir.SCTP, 9000, refs(polAllow, 1, polAllow, 2)},
		{xb4, ir.SCTP, 9000, refs(polAllow, 2)},
	} {
		for _, dst := range []netip.Addr{xa4, xa6} {
			if tc.src.Is4() != dst.Is4() {
				continue
			}
			t.Run(fmt.Sprintf("%s->%s/%s/%d", tc.src, dst, tc.proto, tc.port), func(t *testing.T) {
				v := e.Check(tc.src, dst, tc.proto, tc.port)
				if !v.Ingress.Isolated || v.Ingress.Pod != xa {
					t.Fatalf("ingress side %+v, want x/a isolated", v.Ingress)
				}
				if !slices.Equal(v.Ingress.Policies, []ir.PolicyRef{polAllow, polDeny}) {
					t.Errorf("ingress policies %v", v.Ingress.Policies)
				}
				if !slices.Equal(v.Ingress.AllowedBy, tc.want) {
					t.Errorf("AllowedBy = %v, want %v (%s)", v.Ingress.AllowedBy, tc.want, v)
				}
				wantAllowed := len(tc.want) > 0
				if v.Ingress.Allowed != wantAllowed || v.Allowed != wantAllowed {
					t.Errorf("Ingress.Allowed=%v Allowed=%v, want %v (%s)", v.Ingress.Allowed, v.Allowed, wantAllowed, v)
				}
				if v.Egress.Isolated || !v.Egress.Allowed || v.Egress.Policies != nil || v.Egress.AllowedBy != nil {
					t.Errorf("egress side %+v, want not isolated", v.Egress)
				}
			})
		}
	}
}

// TestCheckEgress: x/a's egress towards destinations that are not ingress-isolated.
func TestCheckEgress(t *testing.T) {
	e := New(testNode())
	for _, tc := range []struct {
		src, dst netip.Addr
		proto    ir.Protocol
		port     uint16
		want     []RuleRef
	}{
		{xa4, xc4, ir.TCP, 443, refs(polEgress, 0)},
		{xa6, xc6, ir.TCP, 443, refs(polEgress, 0)},
		{xa4, xc4, ir.TCP, 442, nil},
		{xa4, xc4, ir.UDP, 443, nil},
		{xa4, ya4, ir.TCP, 443, nil},
		// AddrPorts: the pair, independent of Peers (Any) and Ports (none).
		{xa4, xc4, ir.UDP, 5353, refs(polEgress, 1)},
		{xa6, xc6, ir.UDP, 5353, nil}, // resolved for x/c's IPv4 address only
		{xa4, xc4, ir.TCP, 5353, nil},
		{xa4, ya4, ir.TCP, 8080, refs(polEgress, 1)},
		{xa6, ya6, ir.TCP, 8080, refs(polEgress, 1)},
		{xa4, ya4, ir.TCP, 8081, nil},
		{xa4, xc4, ir.TCP, 8080, nil},
		{xa4, ext4, ir.TCP, 8080, nil},
		{xa6, ext6, ir.TCP, 443, nil},
	} {
		t.Run(fmt.Sprintf("%s->%s/%s/%d", tc.src, tc.dst, tc.proto, tc.port), func(t *testing.T) {
			v := e.Check(tc.src, tc.dst, tc.proto, tc.port)
			if !v.Egress.Isolated || v.Egress.Pod != xa || !slices.Equal(v.Egress.Policies, []ir.PolicyRef{polEgress}) {
				t.Fatalf("egress side %+v, want x/a isolated by x/egress", v.Egress)
			}
			if !slices.Equal(v.Egress.AllowedBy, tc.want) {
				t.Errorf("AllowedBy = %v, want %v (%s)", v.Egress.AllowedBy, tc.want, v)
			}
			wantAllowed := len(tc.want) > 0
			if v.Egress.Allowed != wantAllowed || v.Allowed != wantAllowed {
				t.Errorf("Egress.Allowed=%v Allowed=%v, want %v (%s)", v.Egress.Allowed, v.Allowed, wantAllowed, v)
			}
			if v.Ingress.Isolated || !v.Ingress.Allowed {
				t.Errorf("ingress side %+v, want not isolated", v.Ingress)
			}
		})
	}
}

// TestCheckBothSides: a connection needs both the source's egress and the destination's ingress.
func TestCheckBothSides(t *testing.T) {
	e := New(testNode())
	// x/a -> x/b: x/a's egress allows nothing towards x/b, x/b's ingress allows nothing.
	v := e.Check(xa4, xb4, ir.TCP, 80)
	if v.Allowed || v.Egress.Allowed || v.Ingress.Allowed || !v.Egress.Isolated || !v.Ingress.Isolated {
		t.Errorf("x/a -> x/b: %+v", v)
	}
	if v.Egress.Pod != xa || v.Ingress.Pod != xb || !slices.Equal(v.Ingress.Policies, []ir.PolicyRef{polDeny}) {
		t.Errorf("x/a -> x/b sides: %+v", v)
	}
	// x/b -> x/a on TCP 80: x/b is not egress-isolated (but is a pod of the IR), x/a's ingress allows it.
	v = e.Check(xb4, xa4, ir.TCP, 80)
	if !v.Allowed || v.Egress.Isolated || v.Egress.Pod != xb || !slices.Equal(v.Ingress.AllowedBy, refs(polAllow, 0)) {
		t.Errorf("x/b -> x/a: %+v", v)
	}
	// x/c -> x/a on SCTP 9000: ingress allows (Any); x/c is no pod of the IR.
	v = e.Check(xc4, xa4, ir.SCTP, 9000)
	if !v.Allowed || v.Egress.Pod != (ir.PodRef{}) || v.Egress.Isolated {
		t.Errorf("x/c -> x/a: %+v", v)
	}
	// x/a -> x/c on TCP 443: egress allows, x/c not isolated.
	if v = e.Check(xa4, xc4, ir.TCP, 443); !v.Allowed {
		t.Errorf("x/a -> x/c TCP/443 denied: %s", v)
	}
	// Neither side is a pod of the IR: nothing restricts.
	if v = e.Check(ext4, ya4, ir.UDP, 1); !v.Allowed || v.Egress.Isolated || v.Ingress.Isolated || v.SamePod {
		t.Errorf("outside -> y/a: %+v", v)
	}
	if v = e.Check(ext6, ext6, ir.TCP, 1); !v.Allowed {
		t.Errorf("outside -> itself: %+v", v)
	}
}

// TestSamePod: a pod reaching its own address is allowed whatever both of its sides say, which are still reported.
func TestSamePod(t *testing.T) {
	e := New(testNode())
	for _, a := range []netip.Addr{xa4, xb4, xb6} { // x/a's ingress and egress, x/b's ingress deny these to others
		v := e.Check(a, a, ir.TCP, 9)
		if !v.Allowed || !v.SamePod {
			t.Errorf("%s -> itself: %+v", a, v)
		}
		if !v.Ingress.Isolated || v.Ingress.Allowed {
			t.Errorf("%s -> itself: ingress side %+v, want isolated and denying", a, v.Ingress)
		}
	}
	// SamePod compares addresses, as the ruleset's self sets do: another address of the same pod is not
	// SamePod, and x/b's ingress decides.
	if v := e.Check(xb4, xb6, ir.TCP, 9); v.SamePod || v.Allowed {
		t.Errorf("x/b IPv4 -> x/b IPv6: %+v", v)
	}
}

// TestSharedAddress: when two members of one direction own an address, the group sorted first keeps it.
func TestSharedAddress(t *testing.T) {
	shared := addr("10.9.9.9")
	other := ir.PolicyRef{Namespace: "x", Name: "z-allow"}
	n := &ir.Node{Groups: []ir.Group{
		{Direction: ir.Ingress, Key: "ingress|x/deny-all", Policies: []ir.PolicyRef{polDeny},
			Members: []ir.Member{{Pod: xa, IPs: []netip.Addr{shared}}}},
		{Direction: ir.Ingress, Key: "ingress|x/z-allow", Policies: []ir.PolicyRef{other},
			Members: []ir.Member{{Pod: xb, IPs: []netip.Addr{shared}}},
			Rules:   []ir.Rule{{Policy: other, Peers: ir.Peers{Any: true}, AllPorts: true}}},
	}}
	v := New(n).Check(ext4, shared, ir.TCP, 80)
	if v.Allowed || v.Ingress.Pod != xa {
		t.Errorf("shared address: %+v, want x/a's group (denying)", v)
	}
}

// TestNilAndEmpty: no IR, or no groups, isolates nobody.
func TestNilAndEmpty(t *testing.T) {
	for _, n := range []*ir.Node{nil, {}} {
		v := New(n).Check(xa4, xb4, ir.TCP, 80)
		if !v.Allowed || v.Egress.Isolated || v.Ingress.Isolated {
			t.Errorf("%v: %+v", n, v)
		}
	}
}

// TestVerdictIndependentOfIR: a verdict's slices are its own.
func TestVerdictIndependentOfIR(t *testing.T) {
	n := testNode()
	e := New(n)
	v := e.Check(xb4, xa4, ir.TCP, 80)
	v.Ingress.Policies[0] = ir.PolicyRef{Namespace: "changed"}
	if n.Groups[0].Policies[0] != polAllow {
		t.Errorf("modifying a verdict modified the IR")
	}
	if w := e.Check(xb4, xa4, ir.TCP, 80); w.Ingress.Policies[0] != polAllow {
		t.Errorf("modifying a verdict modified later verdicts")
	}
}

func TestString(t *testing.T) {
	e := New(testNode())
	for _, tc := range []struct {
		v    Verdict
		want string
	}{
		{e.Check(ya4, xb4, ir.TCP, 80),
			"deny: ingress of x/b isolated by x/deny-all, no rule allows 10.0.1.1 TCP/80"},
		{e.Check(xa4, xb4, ir.UDP, 53),
			"deny: egress of x/a isolated by x/egress, no rule allows x/b UDP/53; " +
				"ingress of x/b isolated by x/deny-all, no rule allows x/a UDP/53"},
		{e.Check(xa4, ya4, ir.SCTP, 1),
			"deny: egress of x/a isolated by x/egress, no rule allows 10.0.1.1 SCTP/1"},
		{e.Check(xb6, xa6, ir.TCP, 81),
			"allow: x/b -> x/a TCP/81: egress of x/b not isolated; ingress of x/a allowed by x/allow ingress[0]"},
		{e.Check(xc6, xa6, ir.SCTP, 9000),
			"allow: fd00::3 -> x/a SCTP/9000: egress of fd00::3 not isolated; " +
				"ingress of x/a allowed by x/allow ingress[1], x/allow ingress[2]"},
		{e.Check(xa4, ya4, ir.TCP, 8080),
			"allow: x/a -> 10.0.1.1 TCP/8080: egress of x/a allowed by x/egress egress[1]; ingress of 10.0.1.1 not isolated"},
		{e.Check(xa4, xa4, ir.TCP, 80),
			"allow: x/a to itself TCP/80, before any policy (a pod cannot block access to itself)"},
		{e.Check(ext4, ext4, ir.Protocol(1), 0),
			"allow: 192.0.2.7 to itself protocol 1/0, before any policy (a pod cannot block access to itself)"},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() =\n  %s\nwant\n  %s", got, tc.want)
		}
	}
}

// TestConcurrent: Check from many goroutines (meaningful under -race) gives the same answers as sequentially.
func TestConcurrent(t *testing.T) {
	e := New(testNode())
	addrs := []netip.Addr{xa4, xb4, xc4, ya4, ext4, xa6, xb6, xc6, ya6, ext6}
	want := map[[2]netip.Addr]string{}
	for _, s := range addrs {
		for _, d := range addrs {
			want[[2]netip.Addr{s, d}] = e.Check(s, d, ir.TCP, 80).String()
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, s := range addrs {
				for _, d := range addrs {
					if got := e.Check(s, d, ir.TCP, 80).String(); got != want[[2]netip.Addr{s, d}] {
						t.Errorf("%s -> %s: %s, sequentially %s", s, d, got, want[[2]netip.Addr{s, d}])
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestAudit: the same node with x/b's namespace in audit mode (x/deny-all's group): what x/deny-all denies x/b
// passes as a would-be drop, allowed rules and other groups keep their answers.
func TestAudit(t *testing.T) {
	n := testNode()
	n.Groups[1].Audit = true
	e := New(n)
	v := e.Check(ya4, xb4, ir.TCP, 80)
	if !v.Allowed || !v.Audited() || !v.Ingress.WouldDrop || v.Egress.WouldDrop {
		t.Errorf("y/a -> x/b in audit mode: %+v", v)
	}
	want := "audit: 10.0.1.1 -> x/b TCP/80 passes, but would be denied: egress of 10.0.1.1 not isolated; " +
		"ingress of x/b isolated by x/deny-all, no rule allows 10.0.1.1 TCP/80 (audit mode: logged, not dropped)"
	if got := v.String(); got != want {
		t.Errorf("String() =\n  %s\nwant\n  %s", got, want)
	}
	// x/a -> x/b: x/a's egress (not audited) still denies; the connection is denied, not audited.
	if v := e.Check(xa4, xb4, ir.UDP, 53); v.Allowed || v.Audited() {
		t.Errorf("x/a -> x/b UDP/53 must stay denied by x/a's egress: %+v", v)
	}
	// An allowed connection is not audited.
	if v := e.Check(xb6, xa6, ir.TCP, 81); !v.Allowed || v.Audited() {
		t.Errorf("x/b -> x/a TCP/81: %+v", v)
	}
}

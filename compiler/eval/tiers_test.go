package eval

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Protocol numbers the tiers tests use besides TCP/UDP/SCTP.
const icmp ir.Protocol = 1

func addrs(as ...netip.Addr) ir.Peers { return ir.Peers{Addrs: as} }

// tiersNode: the addresses of eval_test.go (x/a, x/b, x/c, y/a; 192.0.2.x outside), with tiers. y/a is in no group.
//
// Egress of x/a, no NetworkPolicy. Admin:
//   - egress-tcp (priority 6) egress[0] "accept-xb-80": Accept to x/b TCP 80
//   - egress-tcp egress[1] "pass-xb-81": Pass to x/b TCP 81
//   - egress-tcp egress[2] "deny-xb": Deny to x/b, every protocol
//   - egress-tcp egress[3] "accept-xc-443": Accept to x/c TCP 443
//   - egress-named (priority 7) egress[0] "deny-ya-named": Deny to y/a's IPv4 address TCP 8080 (a named port)
//   - egress-named egress[1]: Pass to y/a, every protocol
//
// Baseline (default, priority 10):
//   - egress[0] "deny-ya-dns": Deny to y/a UDP 53
//   - egress[1] "pass-ya-tcp": Pass to y/a TCP 1-65535
//   - egress[2] "deny-net": Deny to 192.0.2.0/24 except 192.0.2.128/25, every protocol
//   - egress[3] "accept-rest": Accept to every address, every protocol
//
// Ingress of x/b, isolated by x/allow (ingress[0]: from x/a TCP 81; ingress[1]: from y/a TCP 7000). Admin
// (ingress-xb, priority 3):
//   - ingress[0] "deny-ya-7000": Deny from y/a TCP 7000 (x/allow allows it: Admin wins)
//   - ingress[1] "accept-ya-9090": Accept from y/a TCP 9090 (x/allow does not allow it: Admin wins)
//   - ingress[2] "pass-xa": Pass from x/a, every protocol
//
// and a Baseline rule the IR never holds for an isolated group (default ingress[0]: Accept from anywhere), which
// must not count.
//
// Ingress of x/c, no NetworkPolicy. Admin: ingress-deny (priority 4) ingress[0] "deny-xa-https": Deny from x/a
// TCP 443.
//
// Egress of x/c, no NetworkPolicy. Admin (fqdn, priority 1), with domainNames peers the build does not enforce:
//   - egress[0] "allow-example": Accept, domainNames only: matches nothing
//   - egress[1] "deny-https": Deny TCP 443, domainNames: fails closed, every address
//   - egress[2] "pass-rest": Pass, every protocol, domainNames: every address
func tiersNode() *ir.Node {
	toXA, toXB, toYA := addrs(xa4, xa6), addrs(xb4, xb6), addrs(ya4, ya6)
	return &ir.Node{Groups: []ir.Group{
		{
			Direction: ir.Ingress, Key: "ingress|x/b",
			Policies: []ir.PolicyRef{polAllow},
			Members:  []ir.Member{{Pod: xb, IPs: []netip.Addr{xb4, xb6}}},
			Rules: []ir.Rule{
				{Policy: polAllow, Index: 0, Peers: toXA, Ports: []ir.Port{tcp(81, 81)}},
				{Policy: polAllow, Index: 1, Peers: toYA, Ports: []ir.Port{tcp(7000, 7000)}},
			},
			Admin: []ir.ClusterRule{
				{Policy: "ingress-xb", Priority: 3, Index: 0, Name: "deny-ya-7000", Action: ir.Deny, Peers: toYA,
					Ports: []ir.Port{tcp(7000, 7000)}},
				{Policy: "ingress-xb", Priority: 3, Index: 1, Name: "accept-ya-9090", Action: ir.Accept, Peers: toYA,
					Ports: []ir.Port{tcp(9090, 9090)}},
				{Policy: "ingress-xb", Priority: 3, Index: 2, Name: "pass-xa", Action: ir.Pass, Peers: toXA,
					AllPorts: true},
			},
			Baseline: []ir.ClusterRule{
				{Policy: "default", Priority: 10, Index: 0, Action: ir.Accept, Peers: ir.Peers{Any: true}, AllPorts: true},
			},
		},
		{
			Direction: ir.Ingress, Key: "ingress|x/c",
			Members: []ir.Member{{Pod: xc, IPs: []netip.Addr{xc4, xc6}}},
			Admin: []ir.ClusterRule{
				{Policy: "ingress-deny", Priority: 4, Index: 0, Name: "deny-xa-https", Action: ir.Deny, Peers: toXA,
					Ports: []ir.Port{tcp(443, 443)}},
			},
		},
		{
			Direction: ir.Egress, Key: "egress|x/a",
			Members: []ir.Member{{Pod: xa, IPs: []netip.Addr{xa4, xa6}}},
			Admin: []ir.ClusterRule{
				{Policy: "egress-tcp", Priority: 6, Index: 0, Name: "accept-xb-80", Action: ir.Accept, Peers: toXB,
					Ports: []ir.Port{tcp(80, 80)}},
				{Policy: "egress-tcp", Priority: 6, Index: 1, Name: "pass-xb-81", Action: ir.Pass, Peers: toXB,
					Ports: []ir.Port{tcp(81, 81)}},
				{Policy: "egress-tcp", Priority: 6, Index: 2, Name: "deny-xb", Action: ir.Deny, Peers: toXB, AllPorts: true},
				{Policy: "egress-tcp", Priority: 6, Index: 3, Name: "accept-xc-443", Action: ir.Accept,
					Peers: addrs(xc4, xc6), Ports: []ir.Port{tcp(443, 443)}},
				{Policy: "egress-named", Priority: 7, Index: 0, Name: "deny-ya-named", Action: ir.Deny,
					AddrPorts: []ir.AddrPort{{Addr: ya4, Port: tcp(8080, 8080)}}},
				{Policy: "egress-named", Priority: 7, Index: 1, Action: ir.Pass, Peers: toYA, AllPorts: true},
			},
			Baseline: []ir.ClusterRule{
				{Policy: "default", Priority: 10, Index: 0, Name: "deny-ya-dns", Action: ir.Deny, Peers: toYA,
					Ports: []ir.Port{{Protocol: ir.UDP, First: 53, Last: 53}}},
				{Policy: "default", Priority: 10, Index: 1, Name: "pass-ya-tcp", Action: ir.Pass, Peers: toYA,
					Ports: []ir.Port{tcp(1, 65535)}},
				{Policy: "default", Priority: 10, Index: 2, Name: "deny-net", Action: ir.Deny, AllPorts: true,
					Peers: ir.Peers{Blocks: []ir.IPBlock{{CIDR: prefix("192.0.2.0/24"),
						Except: []netip.Prefix{prefix("192.0.2.128/25")}}}}},
				{Policy: "default", Priority: 10, Index: 3, Name: "accept-rest", Action: ir.Accept,
					Peers: ir.Peers{Any: true}, AllPorts: true},
			},
		},
		{
			Direction: ir.Egress, Key: "egress|x/c",
			Members: []ir.Member{{Pod: xc, IPs: []netip.Addr{xc4, xc6}}},
			Admin: []ir.ClusterRule{
				{Policy: "fqdn", Priority: 1, Index: 0, Name: "allow-example", Action: ir.Accept, AllPorts: true,
					Unenforced: []string{"spec.egress[0].to[0].domainNames"}},
				{Policy: "fqdn", Priority: 1, Index: 1, Name: "deny-https", Action: ir.Deny, Peers: ir.Peers{Any: true},
					Ports: []ir.Port{tcp(443, 443)}, Unenforced: []string{"spec.egress[1].to[0].domainNames"}},
				{Policy: "fqdn", Priority: 1, Index: 2, Name: "pass-rest", Action: ir.Pass, Peers: ir.Peers{Any: true},
					AllPorts: true, Unenforced: []string{"spec.egress[2].to[0].domainNames",
						"spec.egress[2].to[1].domainNames"}},
			},
		},
	}}
}

// short names a rule for the tests: "Admin egress-tcp egress[2] Deny".
func short(r ClusterRuleRef) string {
	return fmt.Sprintf("%s %s %s[%d] %s", r.Tier, r.Policy, r.Direction, r.Index, r.Action)
}

func shorts(rs []ClusterRuleRef) []string {
	var out []string
	for _, r := range rs {
		out = append(out, short(r))
	}
	return out
}

// want is the expected answer of one side.
type want struct {
	pod        ir.PodRef
	allowed    bool
	tier       Tier
	isolated   bool
	decided    string    // short(DecidedBy); "" for nil
	passed     []string  // shorts(Passed)
	allowedBy  []RuleRef // AllowedBy
	unenforced []string  // shorts(Unenforced)
	wouldDrop  bool
}

func (w want) check(t *testing.T, what string, s Side) {
	t.Helper()
	decided := ""
	if s.DecidedBy != nil {
		decided = short(*s.DecidedBy)
	}
	if s.Pod != w.pod || s.Allowed != w.allowed || s.Tier != w.tier || s.Isolated != w.isolated ||
		decided != w.decided || !slices.Equal(shorts(s.Passed), w.passed) || !slices.Equal(s.AllowedBy, w.allowedBy) ||
		!slices.Equal(shorts(s.Unenforced), w.unenforced) || s.WouldDrop != w.wouldDrop {
		t.Errorf("%s: got pod %s allowed %v tier %s isolated %v decided %q passed %q allowedBy %v unenforced %q "+
			"wouldDrop %v\nwant %+v", what, s.Pod, s.Allowed, s.Tier, s.Isolated, decided, shorts(s.Passed),
			s.AllowedBy, shorts(s.Unenforced), s.WouldDrop, w)
	}
}

// free is the side of an address that is no pod of any group: allowed by default.
var free = want{allowed: true, tier: Default}

func TestTiers(t *testing.T) {
	e := New(tiersNode())
	xaOut := func(w want) want { w.pod = xa; return w }
	xbIn := func(w want) want { w.pod, w.isolated = xb, true; return w }
	xcIn := func(w want) want { w.pod = xc; return w }
	xcOut := func(w want) want { w.pod = xc; return w }
	for _, tc := range []struct {
		name            string
		src, dst        netip.Addr
		proto           ir.Protocol
		port            uint16
		egress, ingress want
	}{
		// Admin: the first matching rule decides, whatever comes later (egress[2] denies x/b on every port).
		{"admin accept", xa4, xb4, ir.TCP, 80,
			xaOut(want{allowed: true, tier: Admin, decided: "Admin egress-tcp egress[0] Accept"}),
			xbIn(want{allowed: false, tier: NetworkPolicy, passed: []string{"Admin ingress-xb ingress[2] Pass"}})},
		{"admin deny", xa6, xb6, ir.TCP, 82,
			xaOut(want{tier: Admin, decided: "Admin egress-tcp egress[2] Deny"}),
			xbIn(want{tier: NetworkPolicy, passed: []string{"Admin ingress-xb ingress[2] Pass"}})},
		// Admin Pass, then NetworkPolicy allows (ingress of x/b); x/a's egress passes too, to Baseline's Accept.
		{"admin pass then networkpolicy allow, pass then baseline accept", xa4, xb4, ir.TCP, 81,
			xaOut(want{allowed: true, tier: Baseline, decided: "Baseline default egress[3] Accept",
				passed: []string{"Admin egress-tcp egress[1] Pass"}}),
			xbIn(want{allowed: true, tier: NetworkPolicy, passed: []string{"Admin ingress-xb ingress[2] Pass"},
				allowedBy: refs(polAllow, 0)})},
		// Admin Deny and Accept override NetworkPolicy, which is not looked at (AllowedBy empty).
		{"admin deny over networkpolicy allow", ya4, xb4, ir.TCP, 7000,
			free, xbIn(want{tier: Admin, decided: "Admin ingress-xb ingress[0] Deny"})},
		{"admin accept over networkpolicy deny", ya6, xb6, ir.TCP, 9090,
			free, xbIn(want{allowed: true, tier: Admin, decided: "Admin ingress-xb ingress[1] Accept"})},
		// No Admin match, NetworkPolicy isolates and denies; the Baseline Accept the IR should not hold is ignored.
		{"networkpolicy deny, baseline ignored", ya4, xb4, ir.TCP, 81,
			free, xbIn(want{tier: NetworkPolicy})},
		// Admin Pass, then Baseline: Deny, Pass to the default, and the Accept at the end.
		{"admin pass then baseline deny", xa4, ya4, ir.UDP, 53,
			xaOut(want{tier: Baseline, decided: "Baseline default egress[0] Deny",
				passed: []string{"Admin egress-named egress[1] Pass"}}), free},
		{"admin pass then baseline pass then default", xa6, ya6, ir.TCP, 80,
			xaOut(want{allowed: true, tier: Default,
				passed: []string{"Admin egress-named egress[1] Pass", "Baseline default egress[1] Pass"}}), free},
		{"no admin match, baseline accept", xa4, ext4, ir.TCP, 80,
			xaOut(want{tier: Baseline, decided: "Baseline default egress[2] Deny"}), free},
		// A Baseline block with an except; the except falls through to the Accept.
		{"baseline block except", xa4, addr("192.0.2.200"), ir.UDP, 1,
			xaOut(want{allowed: true, tier: Baseline, decided: "Baseline default egress[3] Accept"}), free},
		{"baseline accept outside the block", xa6, ext6, ir.TCP, 80,
			xaOut(want{allowed: true, tier: Baseline, decided: "Baseline default egress[3] Accept"}), free},
		// An egress named port (AddrPorts): the pair only.
		{"admin named port deny", xa4, ya4, ir.TCP, 8080,
			xaOut(want{tier: Admin, decided: "Admin egress-named egress[0] Deny"}), free},
		{"named port other family", xa6, ya6, ir.TCP, 8080,
			xaOut(want{allowed: true, tier: Default,
				passed: []string{"Admin egress-named egress[1] Pass", "Baseline default egress[1] Pass"}}), free},
		// Egress Accept does not skip the destination's ingress: x/c's Admin Deny drops it.
		{"egress accept, ingress admin deny", xa4, xc4, ir.TCP, 443,
			xaOut(want{allowed: true, tier: Admin, decided: "Admin egress-tcp egress[3] Accept"}),
			xcIn(want{tier: Admin, decided: "Admin ingress-deny ingress[0] Deny"})},
		// Rules in a group that match nothing: the default, and the pod is not isolated.
		{"default allow", ya4, xc4, ir.TCP, 443, free, xcIn(want{allowed: true, tier: Default})},
		// AllPorts matches any protocol, ICMP included; port rules match only their protocol.
		{"allports matches icmp", xa4, xb4, icmp, 0,
			xaOut(want{tier: Admin, decided: "Admin egress-tcp egress[2] Deny"}),
			xbIn(want{tier: NetworkPolicy, passed: []string{"Admin ingress-xb ingress[2] Pass"}})},
		{"icmp passes to baseline", xa4, ya4, icmp, 0,
			xaOut(want{allowed: true, tier: Baseline, decided: "Baseline default egress[3] Accept",
				passed: []string{"Admin egress-named egress[1] Pass"}}), free},
		{"icmp to a denied network", xa4, addr("192.0.2.1"), icmp, 0,
			xaOut(want{tier: Baseline, decided: "Baseline default egress[2] Deny"}), free},
		// Unenforced fields of the rules looked at, up to the one that decides.
		{"unenforced, deny decides", xc4, ext4, ir.TCP, 443,
			xcOut(want{tier: Admin, decided: "Admin fqdn egress[1] Deny",
				unenforced: []string{"Admin fqdn egress[0] Accept", "Admin fqdn egress[1] Deny"}}), free},
		{"unenforced, pass to the default", xc6, ext6, icmp, 0,
			xcOut(want{allowed: true, tier: Default, passed: []string{"Admin fqdn egress[2] Pass"},
				unenforced: []string{"Admin fqdn egress[0] Accept", "Admin fqdn egress[1] Deny", "Admin fqdn egress[2] Pass"}}),
			free},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := e.Check(tc.src, tc.dst, tc.proto, tc.port)
			tc.egress.check(t, "egress", v.Egress)
			tc.ingress.check(t, "ingress", v.Ingress)
			if want := tc.egress.allowed && tc.ingress.allowed; v.Allowed != want || v.SamePod || v.Audited() {
				t.Errorf("Allowed %v SamePod %v Audited %v, want allowed %v (%s)", v.Allowed, v.SamePod, v.Audited(), want, v)
			}
		})
	}
}

// TestTierRuleRef: the deciding rule is described in full, and the verdict's refs share nothing with the IR.
func TestTierRuleRef(t *testing.T) {
	n := tiersNode()
	e := New(n)
	v := e.Check(xc4, ext4, ir.TCP, 443)
	want := ClusterRuleRef{Tier: ir.Admin, Policy: "fqdn", Priority: 1, Direction: ir.Egress, Index: 1,
		Name: "deny-https", Action: ir.Deny, Unenforced: []string{"spec.egress[1].to[0].domainNames"}}
	if d := v.Egress.DecidedBy; d == nil || d.Tier != want.Tier || d.Policy != want.Policy || d.Priority != want.Priority ||
		d.Direction != want.Direction || d.Index != want.Index || d.Name != want.Name || d.Action != want.Action ||
		!slices.Equal(d.Unenforced, want.Unenforced) {
		t.Fatalf("DecidedBy = %+v, want %+v", v.Egress.DecidedBy, want)
	}
	if got := v.Egress.DecidedBy.String(); got != `Admin ClusterNetworkPolicy fqdn egress[1] "deny-https" (priority 1)` {
		t.Errorf("String() = %s", got)
	}
	v.Egress.DecidedBy.Unenforced[0] = "changed"
	v.Egress.Unenforced[0].Unenforced[0] = "changed"
	if n.Groups[3].Admin[1].Unenforced[0] != want.Unenforced[0] || n.Groups[3].Admin[0].Unenforced[0] == "changed" {
		t.Errorf("modifying a verdict modified the IR")
	}
	// An unnamed rule has no quoted name.
	v = e.Check(xa4, ya4, ir.TCP, 80)
	if got := v.Egress.Passed[0].String(); got != "Admin ClusterNetworkPolicy egress-named egress[1] (priority 7)" {
		t.Errorf("String() = %s", got)
	}
}

// TestTiersAudit: a namespace's audit mode softens only the NetworkPolicy tier.
func TestTiersAudit(t *testing.T) {
	n := tiersNode()
	n.Groups[0].Audit, n.Groups[1].Audit = true, true // x/b's and x/c's ingress
	e := New(n)
	// NetworkPolicy denies y/a -> x/b TCP 81: a would-be drop, let through.
	v := e.Check(ya4, xb4, ir.TCP, 81)
	want{pod: xb, allowed: true, tier: NetworkPolicy, isolated: true, wouldDrop: true}.check(t, "x/b NetworkPolicy", v.Ingress)
	if !v.Allowed || !v.Audited() {
		t.Errorf("y/a -> x/b TCP/81: %s, want audited", v)
	}
	// An Admin Deny is enforced in an audited namespace, on an isolated pod and on one that is not.
	if v = e.Check(ya4, xb4, ir.TCP, 7000); v.Allowed || v.Audited() || v.Ingress.WouldDrop {
		t.Errorf("y/a -> x/b TCP/7000: %s, want denied by Admin", v)
	}
	if v = e.Check(xa4, xc4, ir.TCP, 443); v.Allowed || v.Audited() || v.Ingress.WouldDrop {
		t.Errorf("x/a -> x/c TCP/443: %s, want denied by Admin", v)
	}
}

// TestTiersSamePod: a pod reaching its own address is allowed before any tier (x/a's Baseline would deny nothing
// here, x/b's Admin denies y/a only, so use x/c: its egress fails closed on TCP 443 towards every address).
func TestTiersSamePod(t *testing.T) {
	v := New(tiersNode()).Check(xc4, xc4, ir.TCP, 443)
	if !v.Allowed || !v.SamePod || v.Egress.Allowed || v.Egress.Tier != Admin {
		t.Errorf("x/c -> itself: %+v", v)
	}
}

func TestTierString(t *testing.T) {
	for tier, want := range map[Tier]string{Default: "Default", Admin: "Admin", NetworkPolicy: "NetworkPolicy",
		Baseline: "Baseline", Tier(9): "Default"} {
		if got := tier.String(); got != want {
			t.Errorf("Tier(%d).String() = %s, want %s", tier, got, want)
		}
	}
}

func TestTiersExplain(t *testing.T) {
	e := New(tiersNode())
	for _, tc := range []struct {
		v    Verdict
		want string
	}{
		{e.Check(xa4, xb4, ir.TCP, 82),
			`deny: egress of x/a: Admin ClusterNetworkPolicy egress-tcp egress[2] "deny-xb" (priority 6) denies x/b TCP/82; ` +
				`ingress of x/b: Admin ClusterNetworkPolicy ingress-xb ingress[2] "pass-xa" (priority 3) passes, ` +
				`then isolated by x/allow, no rule allows x/a TCP/82`},
		{e.Check(xa4, xb4, ir.TCP, 81),
			`allow: x/a -> x/b TCP/81: egress of x/a: Admin ClusterNetworkPolicy egress-tcp egress[1] "pass-xb-81" ` +
				`(priority 6) passes, then Baseline ClusterNetworkPolicy default egress[3] "accept-rest" (priority 10) ` +
				`accepts x/b TCP/81; ingress of x/b: Admin ClusterNetworkPolicy ingress-xb ingress[2] "pass-xa" ` +
				`(priority 3) passes, then allowed by x/allow ingress[0]`},
		{e.Check(xa4, xc4, ir.TCP, 443),
			`deny: ingress of x/c: Admin ClusterNetworkPolicy ingress-deny ingress[0] "deny-xa-https" (priority 4) ` +
				`denies x/a TCP/443`},
		{e.Check(xa6, ya6, ir.TCP, 80),
			`allow: x/a -> fd00:1::1 TCP/80: egress of x/a: Admin ClusterNetworkPolicy egress-named egress[1] ` +
				`(priority 7) passes, then Baseline ClusterNetworkPolicy default egress[1] "pass-ya-tcp" (priority 10) ` +
				`passes, then allowed by default; ingress of fd00:1::1 not isolated`},
		{e.Check(ya4, xc4, ir.TCP, 443),
			`allow: 10.0.1.1 -> x/c TCP/443: egress of 10.0.1.1 not isolated; ingress of x/c: no ClusterNetworkPolicy ` +
				`rule matches 10.0.1.1 TCP/443, allowed by default`},
		{e.Check(xc4, ext4, ir.TCP, 443),
			`deny: egress of x/c: Admin ClusterNetworkPolicy fqdn egress[1] "deny-https" (priority 1) denies ` +
				`192.0.2.7 TCP/443 (not enforced: ClusterNetworkPolicy fqdn egress[0] "allow-example" ` +
				`spec.egress[0].to[0].domainNames; ClusterNetworkPolicy fqdn egress[1] "deny-https" ` +
				`spec.egress[1].to[0].domainNames)`},
		{e.Check(xc6, ext6, icmp, 0),
			`allow: x/c -> 2001:db8::7 protocol 1/0: egress of x/c: Admin ClusterNetworkPolicy fqdn egress[2] ` +
				`"pass-rest" (priority 1) passes, then allowed by default (not enforced: ClusterNetworkPolicy fqdn ` +
				`egress[0] "allow-example" spec.egress[0].to[0].domainNames; ClusterNetworkPolicy fqdn egress[1] ` +
				`"deny-https" spec.egress[1].to[0].domainNames; ClusterNetworkPolicy fqdn egress[2] "pass-rest" ` +
				`spec.egress[2].to[0].domainNames, spec.egress[2].to[1].domainNames); ingress of 2001:db8::7 not isolated`},
	} {
		if got := tc.v.String(); got != tc.want {
			t.Errorf("String() =\n  %s\nwant\n  %s", got, tc.want)
		}
	}
}

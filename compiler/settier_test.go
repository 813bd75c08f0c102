package compiler_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// TestSetTier: SetTier names the tier of every set a tier's lookups use, and of no NetworkPolicy set. Each group
// below has one kind of rules only, both families, ported and portless, so every set of its chain is of that
// kind whatever the sets are called (the dispatch sets of the table are none of the group's).
func TestSetTier(t *testing.T) {
	peers := ir.Peers{Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("fd00::1")},
		Blocks: []ir.IPBlock{{CIDR: netip.MustParsePrefix("10.1.0.0/16")}, {CIDR: netip.MustParsePrefix("fd01::/64")}}}
	tcp := []ir.Port{{Protocol: ir.TCP, First: 80, Last: 80}, {Protocol: ir.TCP, First: 8000, Last: 8100}}
	rules := func(p string) []ir.ClusterRule {
		return []ir.ClusterRule{
			{Policy: p, Action: ir.Pass, Peers: peers, Ports: tcp[:1]},
			{Policy: p, Action: ir.Accept, Peers: peers, Ports: tcp},
			{Policy: p, Action: ir.Deny, Peers: peers, AllPorts: true},
		}
	}
	member := []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.9")}}}
	for _, c := range []struct {
		name  string
		group ir.Group
		tier  ir.Tier // 0: none
	}{
		{"NetworkPolicy", ir.Group{Policies: []ir.PolicyRef{{Namespace: "x", Name: "np"}}, Rules: []ir.Rule{
			{Policy: ir.PolicyRef{Namespace: "x", Name: "np"}, Peers: peers, Ports: tcp},
			{Policy: ir.PolicyRef{Namespace: "x", Name: "np"}, Peers: peers, AllPorts: true}}}, 0},
		{"Admin", ir.Group{Admin: rules("adm")}, ir.Admin},
		{"Baseline", ir.Group{Baseline: rules("bas")}, ir.Baseline},
	} {
		for _, d := range []ir.Direction{ir.Ingress, ir.Egress} {
			g := c.group
			g.Direction, g.Key, g.Members = d, c.name, member
			tab := compiler.CompileWith(&ir.Node{Groups: []ir.Group{g}}, compiler.DefaultOptions)
			n := 0
			for _, s := range tab.Sets {
				if !strings.HasPrefix(s.Name, compiler.GroupChainName(&g)) {
					continue
				}
				n++
				got, ok := compiler.SetTier(s.Name)
				if ok != (c.tier != 0) || got != c.tier {
					t.Errorf("%s %s: SetTier(%q) = %d, %v; want %d", c.name, d, s.Name, got, ok, c.tier)
				}
			}
			if n < 4 {
				t.Errorf("%s %s: %d sets of the group, want at least 4 (both families, ported and portless)", c.name, d, n)
			}
		}
	}
	for _, name := range []string{"", "ing-", "ing-0123456789abcdef", "ing-0123456789abcdef-v4-np",
		"foo-0123456789abcdef-adm-deny-v4-a", "ing-0123456789abcde-adm-deny-v4-a"} {
		if tier, ok := compiler.SetTier(name); ok {
			t.Errorf("SetTier(%q) = %v, true; want false", name, tier)
		}
	}
}

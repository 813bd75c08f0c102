package compiler_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// TestCompileAuditEverywhere: Options.Audit (the agent's --audit) ends every group chain in a counted pass
// instead of a drop, for groups whose namespace carries no annotation.
func TestCompileAuditEverywhere(t *testing.T) {
	n := &ir.Node{Groups: []ir.Group{
		{Direction: ir.Ingress, Key: "ingress|x/deny", Policies: []ir.PolicyRef{{Namespace: "x", Name: "deny"}},
			Members: []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}}},
		{Direction: ir.Egress, Key: "egress|x/deny", Policies: []ir.PolicyRef{{Namespace: "x", Name: "deny"}},
			Members: []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}}},
	}}
	for _, audit := range []bool{false, true} {
		o := compiler.DefaultOptions
		o.Audit = audit
		for _, ch := range compiler.CompileWith(n, o).Chains {
			if ch.Hook != nil {
				continue
			}
			last := ch.Rules[len(ch.Rules)-1]
			want := nft.Drop
			if audit {
				want = map[bool]nft.VerdictKind{true: nft.Accept, false: nft.Return}[strings.HasPrefix(ch.Name, "ing-")]
			}
			if last.Verdict.Kind != want || !last.Counter || strings.HasPrefix(last.Comment, "audit ") != audit {
				t.Errorf("audit=%v: chain %s ends in %s", audit, ch.Name, last)
			}
		}
	}
}

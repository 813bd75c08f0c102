package view

import (
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

func TestDecidedBy(t *testing.T) {
	deny := &eval.ClusterRuleRef{Tier: ir.Admin, Policy: "deny-dev", Priority: 10, Direction: ir.Ingress, Name: "no-dev", Action: ir.Deny}
	accept := &eval.ClusterRuleRef{Tier: ir.Baseline, Policy: "open", Priority: 1, Direction: ir.Egress, Index: 2, Action: ir.Accept}
	const denyText = `Admin ClusterNetworkPolicy deny-dev ingress[0] "no-dev" (priority 10)`
	const acceptText = `Baseline ClusterNetworkPolicy open egress[2] (priority 1)`
	for _, tc := range []struct {
		name string
		v    eval.Verdict
		want string
	}{
		{"denied by an Admin rule on ingress", eval.Verdict{Egress: eval.Side{Allowed: true},
			Ingress: eval.Side{Tier: eval.Admin, DecidedBy: deny}}, denyText},
		{"denied by NetworkPolicy on egress first", eval.Verdict{Egress: eval.Side{Tier: eval.NetworkPolicy, Isolated: true},
			Ingress: eval.Side{Tier: eval.Admin, DecidedBy: deny}}, ""},
		{"accepted on egress", eval.Verdict{Allowed: true, Egress: eval.Side{Allowed: true, Tier: eval.Baseline, DecidedBy: accept},
			Ingress: eval.Side{Allowed: true}}, acceptText},
		{"allowed by default", eval.Verdict{Allowed: true, Egress: eval.Side{Allowed: true}, Ingress: eval.Side{Allowed: true}}, ""},
		{"same pod", eval.Verdict{Allowed: true, SamePod: true, Ingress: eval.Side{Tier: eval.Admin, DecidedBy: deny}}, ""},
	} {
		if got := DecidedBy(tc.v); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestClusterRules(t *testing.T) {
	const a, b = "Admin ClusterNetworkPolicy a ingress[0] (priority 1)", "Baseline ClusterNetworkPolicy b ingress[1] (priority 9)"
	rs := []Result{
		{DecidedBy: a}, {DecidedBy: b}, {DecidedBy: b}, {DecidedBy: a, Expected: true, Observed: true},
		{Expected: true, Observed: true}, {},
	}
	want := "decided by ClusterNetworkPolicy rules (the others by NetworkPolicies or the default allow):\n" +
		"  2 denied by " + b + "\n" +
		"  1 denied by " + a + "\n" +
		"  1 accepted by " + a + "\n"
	if got := ClusterRules(rs, Options{}); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := ClusterRules(rs[4:], Options{}); got != "" {
		t.Errorf("no rule decided: got %q", got)
	}
}

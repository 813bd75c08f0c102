package view

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/eval"
)

// DecidedBy names the ClusterNetworkPolicy rule that decided v, for Result.DecidedBy: of a denied connection,
// the rule that denied the side that denies it (the source's egress first, as the forward hook looks at it
// first), "" when NetworkPolicies denied it there; of an allowed one, the Accept rule of a side (egress first),
// "" when none accepted. A pod talking to itself is decided by no policy.
func DecidedBy(v eval.Verdict) string {
	if v.SamePod {
		return ""
	}
	for _, s := range []eval.Side{v.Egress, v.Ingress} {
		switch {
		case !v.Allowed && !s.Allowed:
			return ruleOf(s)
		case v.Allowed && s.DecidedBy != nil:
			return ruleOf(s)
		}
	}
	return ""
}

func ruleOf(s eval.Side) string {
	if s.DecidedBy == nil {
		return ""
	}
	return s.DecidedBy.String()
}

// ClusterRules lists, under a matrix, the ClusterNetworkPolicy rules that decided expected verdicts, with the
// number of probes each denied or accepted, most probes first: "  6 denied by Baseline ClusterNetworkPolicy
// default-deny ingress[0] "deny-all-ingress" (priority 100)", after a header line. It is "" when no rule decided
// any probe (no ClusterNetworkPolicy, or NetworkPolicies decided everything).
func ClusterRules(results []Result, o Options) string {
	type key struct {
		rule  string
		allow bool
	}
	counts := map[key]int{}
	for _, r := range results {
		if r.DecidedBy != "" {
			counts[key{r.DecidedBy, r.Expected}]++
		}
	}
	if len(counts) == 0 {
		return ""
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a.rule, b.rule), cmp.Compare(boolInt(a.allow), boolInt(b.allow)))
	})
	var b strings.Builder
	b.WriteString("decided by ClusterNetworkPolicy rules (the others by NetworkPolicies or the default allow):\n")
	for _, k := range keys {
		verb, sty := "denied", styDeny
		if k.allow {
			verb, sty = "accepted", styAllow
		}
		fmt.Fprintf(&b, "  %d %s by %s\n", counts[k], o.paint(sty, verb), k.rule)
	}
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

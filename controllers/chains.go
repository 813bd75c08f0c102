package controllers

import (
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// chainInfo is what one chain of the applied table stands for, for the drop log (by log prefix, which is a
// chain's name) and the counters (by chain and rule position):
//   - a group chain (compiler.GroupChainName) logs the drops of its NetworkPolicy part: Policies are the
//     NetworkPolicies isolating its pods (Tier 0);
//   - a tier's deny chain (compiler.TierDenyChainName) logs and counts the drops of that tier's Deny rules:
//     Policies are the group's ClusterNetworkPolicies of that tier with Deny rules (Namespace "");
//   - a group's Admin pass chain (compiler.AdminPassChainName) logs nothing (its NetworkPolicy part logs under
//     the group chain's name) but counts.
type chainInfo struct {
	Direction ir.Direction
	// Tier is the tier a deny chain drops for; 0 for the other chains.
	Tier ir.Tier
	// Policies are what the chain's log stands for.
	Policies []ir.PolicyRef
	// Audit: what the chain logs is let through (audit mode), not dropped.
	Audit bool
	// Counted are the chain's counted rules, by position.
	Counted map[int]countedRule
}

// countedRule is what one counted rule's packets count for.
type countedRule struct {
	Verdict string // verdictAllow, verdictDrop or verdictAudit
	For     []tiered
}

// tiered is a policy and its tier: 0 for a NetworkPolicy.
type tiered struct {
	Policy ir.PolicyRef
	Tier   ir.Tier
}

// chainIndex maps chain names to what they stand for; the counters and the drop log read it.
type chainIndex map[string]chainInfo

// Verdict labels of counted rules.
const (
	verdictAllow = "allow"
	verdictDrop  = "drop"
	verdictAudit = "audit" // not allowed, let through because of audit mode
)

// indexChains describes the chains of table t, compiled from n, that stand for policies. Counted rules count
// for:
//   - a NetworkPolicy lookup (allow), the group's final drop, or its audited pass: the isolating NetworkPolicies;
//   - a tier's Accept lookup (allow): that tier's ClusterNetworkPolicies with Accept or Pass rules (a Pass the
//     default allow follows is compiled into the Accept lookups);
//   - a deny chain's drop, or its audited pass (--audit): that tier's ClusterNetworkPolicies with Deny rules;
//   - the default allow that ends a group no NetworkPolicy isolates (allow): every ClusterNetworkPolicy of the
//     group, as "let through while subject to it" (a Baseline Accept the default allow follows is compiled
//     into it, as is an Admin one when nothing but the default allow follows).
func indexChains(n *ir.Node, t *nft.Table) chainIndex {
	idx := chainIndex{}
	groups := map[string]*ir.Group{} // the group of each indexed chain
	for i := range n.Groups {
		g := &n.Groups[i]
		for _, name := range []string{compiler.GroupChainName(g), compiler.AdminPassChainName(g)} {
			idx[name] = chainInfo{Direction: g.Direction, Policies: g.Policies}
			groups[name] = g
		}
		for _, tier := range []ir.Tier{ir.Admin, ir.Baseline} {
			if deny := tierPolicies(g, tier, ir.Deny); len(deny) > 0 {
				name := compiler.TierDenyChainName(g, tier)
				idx[name] = chainInfo{Direction: g.Direction, Tier: tier, Policies: deny}
				groups[name] = g
			}
		}
	}
	audited := map[string]bool{} // group chains whose NetworkPolicy part is audited
	for _, ch := range t.Chains {
		info, ok := idx[ch.Name]
		if !ok {
			continue
		}
		g := groups[ch.Name]
		info.Counted = map[int]countedRule{}
		for i := range ch.Rules {
			r := &ch.Rules[i]
			if !r.Counter {
				continue
			}
			c, ok := classify(g, info.Tier, r)
			if !ok {
				continue
			}
			info.Counted[i] = c
			if c.Verdict == verdictAudit {
				if info.Tier != 0 {
					info.Audit = true
				} else {
					audited[compiler.GroupChainName(g)] = true
				}
			}
		}
		idx[ch.Name] = info
	}
	for name := range audited {
		info := idx[name]
		info.Audit = true
		idx[name] = info
	}
	return idx
}

// classify says what a counted rule of a chain of group g counts for (tier: the chain's, 0 unless a deny
// chain); false for a rule that counts for no policy.
func classify(g *ir.Group, tier ir.Tier, r *nft.Rule) (countedRule, bool) {
	pass := r.Verdict.Kind == nft.Accept || r.Verdict.Kind == nft.Return
	nps := make([]tiered, len(g.Policies))
	for i, p := range g.Policies {
		nps[i] = tiered{Policy: p}
	}
	switch {
	case tier != 0 && r.Verdict.Kind == nft.Drop:
		return countedRule{verdictDrop, tierFor(g, tier, ir.Deny)}, true
	case tier != 0 && pass:
		return countedRule{verdictAudit, tierFor(g, tier, ir.Deny)}, true
	case r.Match == nft.Lookup && pass:
		if t := setTier(g, r.Set); t != 0 {
			return countedRule{verdictAllow, tierFor(g, t, ir.Accept, ir.Pass)}, true
		}
		return countedRule{verdictAllow, nps}, true
	case r.Verdict.Kind == nft.Drop:
		return countedRule{verdictDrop, nps}, true
	case pass && g.Isolated(): // the end of an audited NetworkPolicy part, where the drop would be
		return countedRule{verdictAudit, nps}, true
	case pass: // the default allow
		all := []ir.Action{ir.Accept, ir.Deny, ir.Pass}
		return countedRule{verdictAllow, append(tierFor(g, ir.Admin, all...), tierFor(g, ir.Baseline, all...)...)}, true
	}
	return countedRule{}, false
}

// tierFor is tierPolicies with their tier.
func tierFor(g *ir.Group, t ir.Tier, actions ...ir.Action) []tiered {
	refs := tierPolicies(g, t, actions...)
	out := make([]tiered, len(refs))
	for i, p := range refs {
		out[i] = tiered{Policy: p, Tier: t}
	}
	return out
}

// setTier is the tier whose lookup uses set, 0 for a NetworkPolicy set or one of another group.
func setTier(g *ir.Group, set string) ir.Tier {
	if t, ok := compiler.SetTier(set); ok && strings.HasPrefix(set, compiler.GroupChainName(g)) {
		return t
	}
	return 0
}

// tierPolicies are the ClusterNetworkPolicies of tier t of g with a rule of one of the actions, sorted.
func tierPolicies(g *ir.Group, t ir.Tier, actions ...ir.Action) []ir.PolicyRef {
	rules := g.Admin
	if t == ir.Baseline {
		rules = g.Baseline
	}
	var out []ir.PolicyRef
	for _, r := range rules {
		ref := ir.PolicyRef{Name: r.Policy}
		if slices.Contains(actions, r.Action) && !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	sortRefs(out)
	return out
}

// tierName labels a tier: "Admin" or "Baseline", "" for NetworkPolicy.
func tierName(t ir.Tier) string {
	if t == 0 {
		return ""
	}
	return t.String()
}

package compiler

import (
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// compileTiers lays out a group with ClusterNetworkPolicy rules (docs/ruleset.md, "ClusterNetworkPolicy
// tiers"). Its chain holds the Admin lookups, then, for members NetworkPolicy isolates, the NetworkPolicy part
// as in a group without tiers (lookups, log, drop); otherwise the Baseline lookups and a counted allow. Deny
// lookups go to a small chain per tier (TierDenyChainName) that logs under its own name and counts the drop.
//
// A tier followed by nothing but the default allow (Baseline always; Admin when NetworkPolicy does not isolate
// the members and no Baseline rule selects them) is "folded": Accept, Pass and no match all end in the same
// allow, so only its Deny points and the ported points a portless Deny would otherwise catch get lookups. In an
// Admin tier followed by more, an Admin Pass whose points must skip the Admin portless lookups (painting's pass
// conflicts) needs somewhere to go: the rest of the group moves to a chain of its own (AdminPassChainName) that
// the pass lookups and the end of the Admin lookups both go to. Without pass conflicts it stays in the chain.
func compileTiers(g *ir.Group, o Options) ([]*nft.Chain, []*nft.Set) {
	chain := &nft.Chain{Name: GroupChainName(g)}
	chains := []*nft.Chain{chain}
	isolated := g.Isolated()
	baseline := !isolated && len(g.Baseline) > 0
	admin := compileTier(g, ir.Admin, o, !isolated && !baseline)
	chain.Rules = admin.rules()
	chains = append(chains, admin.chains()...)
	sets := admin.sets
	rest := chain
	if len(admin.pass) > 0 {
		rest = &nft.Chain{Name: AdminPassChainName(g)}
		chain.Rules = append(chain.Rules, nft.Rule{Match: nft.Always, Verdict: nft.Verdict{Kind: nft.Goto, Chain: rest.Name}})
		chains = append(chains, rest)
	}
	if isolated {
		// NetworkPolicy decides for the members it isolates: Baseline does not apply (the IR leaves it empty).
		sets = append(sets, appendNetworkPolicy(rest, g, o)...)
		return chains, sets
	}
	if baseline {
		base := compileTier(g, ir.Baseline, o, true)
		rest.Rules = append(rest.Rules, base.rules()...)
		chains = append(chains, base.chains()...)
		sets = append(sets, base.sets...)
	}
	rest.Rules = append(rest.Rules, nft.Rule{
		Match: nft.Always, Counter: o.Counters, Verdict: allowVerdict(g.Direction), Comment: defaultAllowComment(g),
	})
	return chains, sets
}

// tierPart is one tier of a group compiled: its lookups in the order the chain needs them, the sets they use,
// and the chain its Deny lookups go to.
type tierPart struct {
	// ported lookups come first, then pass (only when pass conflicts are not folded), then portless: a TCP,
	// UDP or SCTP packet is decided by the ported space before it can reach a portless lookup.
	ported, pass, portless []nft.Rule
	sets                   []*nft.Set
	deny                   *nft.Chain // nil when the tier denies nothing
}

func (p *tierPart) rules() []nft.Rule {
	return append(append(append([]nft.Rule(nil), p.ported...), p.pass...), p.portless...)
}

func (p *tierPart) chains() []*nft.Chain {
	if p.deny == nil {
		return nil
	}
	return []*nft.Chain{p.deny}
}

// tierRules returns the rules of tier t of a group.
func tierRules(g *ir.Group, t ir.Tier) []ir.ClusterRule {
	if t == ir.Baseline {
		return g.Baseline
	}
	return g.Admin
}

// compileTier paints tier t of g in both families and emits the points as sets: Deny lookups go to the tier's
// deny chain, Accept lookups end in the group's allow verdict, counted, and pass-conflict lookups go to
// AdminPassChainName. With fold (see compileTiers), the Accept sets hold only the Accept and Pass points a
// portless Deny would otherwise catch, and there are no pass-conflict lookups.
func compileTier(g *ir.Group, t ir.Tier, o Options, fold bool) *tierPart {
	part := &tierPart{}
	rules := tierRules(g, t)
	if len(rules) == 0 {
		return part
	}
	// The non-empty sets by family and action (ir.Action indexes Accept, Deny, Pass).
	var sets [2][3][]*nft.Set
	for f, v4 := range []bool{true, false} {
		suffix, addr := "-v6", nft.IPv6Addr
		if v4 {
			suffix, addr = "-v4", nft.IPv4Addr
		}
		paint := paintTier(rules, v4)
		accept, acceptPortless := paint.boxes(ir.Accept), paint.portless[ir.Accept]
		var pass []rangePort
		if fold {
			// Accept, Pass and no match all end in the default allow: only what a portless Deny would
			// otherwise catch needs an Accept lookup.
			accept = paint.shadowed([]ir.Action{ir.Accept, ir.Pass}, []ir.Action{ir.Deny})
			acceptPortless = nil
		} else {
			pass = paint.shadowed([]ir.Action{ir.Pass}, []ir.Action{ir.Accept, ir.Deny})
		}
		for a, p := range []*peers{
			ir.Accept: shapes(accept, acceptPortless),
			ir.Deny:   shapes(paint.boxes(ir.Deny), paint.portless[ir.Deny]),
			ir.Pass:   shapes(pass, nil),
		} {
			sets[f][a] = p.sets(tierSetPrefix(g, t, ir.Action(a))+suffix, addr)
			part.sets = append(part.sets, sets[f][a]...)
		}
	}
	verdicts := [3]nft.Verdict{
		ir.Accept: allowVerdict(g.Direction),
		ir.Deny:   {Kind: nft.Goto, Chain: TierDenyChainName(g, t)},
		ir.Pass:   {Kind: nft.Goto, Chain: AdminPassChainName(g)},
	}
	// Ported lookups first (Deny, Accept, Pass conflicts), then portless; IPv4 then IPv6 for each.
	for _, step := range []struct {
		ported bool
		action ir.Action
		into   *[]nft.Rule
	}{
		{true, ir.Deny, &part.ported}, {true, ir.Accept, &part.ported}, {true, ir.Pass, &part.pass},
		{false, ir.Deny, &part.portless}, {false, ir.Accept, &part.portless},
	} {
		for f, v4 := range []bool{true, false} {
			for _, s := range sets[f][step.action] {
				if (len(s.Key) == 3) != step.ported {
					continue
				}
				*step.into = append(*step.into, nft.Rule{Match: nft.Lookup, Fields: lookupFields(s, peerField(g.Direction, v4)),
					Set: s.Name, Counter: o.Counters && step.action == ir.Accept, Verdict: verdicts[step.action]})
			}
		}
	}
	if len(sets[0][ir.Deny])+len(sets[1][ir.Deny]) > 0 {
		part.deny = denyChain(g, t, o)
	}
	return part
}

// denyChain is where tier t's Deny lookups of a group go: log with the chain's name as prefix (rate-limited, as
// the group chain logs), then a counted drop naming the tier's denying policies. The agent's --audit (o.Audit)
// lets the packet through instead, as the group would allow it; a namespace's audit annotation does not: it
// softens NetworkPolicy only.
func denyChain(g *ir.Group, t ir.Tier, o Options) *nft.Chain {
	ch := &nft.Chain{Name: TierDenyChainName(g, t)}
	if o.Log.Group != 0 {
		ch.Rules = append(ch.Rules, logRule(ch.Name, o))
	}
	end := nft.Verdict{Kind: nft.Drop}
	if o.Audit {
		end = allowVerdict(g.Direction)
	}
	ch.Rules = append(ch.Rules, nft.Rule{
		Match: nft.Always, Counter: o.Counters, Verdict: end, Comment: tierDenyComment(g, t, o.Audit),
	})
	return ch
}

package controllers

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/nft"
)

// planText renders a plan as an nft script, in the order the kernel layer applies it (see nft/kernel's
// buildBatch): what the agent logs at high verbosity. desired gives the definitions of the sets whose elements
// change. Replaced chains and sets appear as a delete followed by an add.
func planText(p *nft.Plan, desired *nft.Table) string {
	if p == nil || p.Empty() {
		return ""
	}
	var b strings.Builder
	tbl := "inet " + nft.TableName
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if p.CreateTable {
		line("add table %s", tbl)
	}
	added := names(p.AddChains, func(c *nft.Chain) string { return c.Name })
	addedSets := names(p.AddSets, func(s *nft.Set) string { return s.Name })
	flushed := map[string]bool{}
	for _, n := range append(slices.Clone(p.FlushChains), chainNames(p.WriteChains)...) {
		if !flushed[n] && (!added[n] || slices.Contains(p.DelChains, n)) {
			flushed[n] = true
			line("flush chain %s %s", tbl, n)
		}
	}
	for _, n := range p.DelChains {
		if added[n] {
			line("delete chain %s %s", tbl, n)
		}
	}
	for _, n := range p.DelSets {
		if addedSets[n] {
			line("delete set %s %s", tbl, n)
		}
	}
	if len(p.AddChains)+len(p.AddSets) > 0 {
		empty := make([]*nft.Chain, len(p.AddChains))
		for i, c := range p.AddChains {
			empty[i] = &nft.Chain{Name: c.Name, Hook: c.Hook} // rules follow below
		}
		(&nft.Table{Sets: p.AddSets, Chains: empty}).WriteText(&b)
	}
	defs := map[string]*nft.Set{}
	if desired != nil {
		for _, s := range desired.Sets {
			defs[s.Name] = s
		}
	}
	elements(&b, "delete", p.DelElements, defs)
	elements(&b, "add", p.AddElements, defs)
	for _, c := range p.WriteChains {
		for _, r := range c.Rules {
			line("add rule %s %s %s", tbl, c.Name, r.String())
		}
	}
	for _, n := range p.DelSets {
		if !addedSets[n] {
			line("delete set %s %s", tbl, n)
		}
	}
	for _, n := range p.DelChains {
		if !added[n] {
			line("delete chain %s %s", tbl, n)
		}
	}
	return b.String()
}

func elements(b *strings.Builder, verb string, m map[string][]nft.Element, defs map[string]*nft.Set) {
	for _, name := range slices.Sorted(maps.Keys(m)) {
		def := defs[name]
		if def == nil {
			fmt.Fprintf(b, "# %s %d elements of unknown set %s\n", verb, len(m[name]), name)
			continue
		}
		texts := make([]string, len(m[name]))
		for i, e := range m[name] {
			texts[i] = nft.ElementText(def, e)
		}
		fmt.Fprintf(b, "%s element inet %s %s { %s }\n", verb, nft.TableName, name, strings.Join(texts, ", "))
	}
}

func names[T any](xs []T, name func(T) string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[name(x)] = true
	}
	return m
}

func chainNames(cs []*nft.Chain) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

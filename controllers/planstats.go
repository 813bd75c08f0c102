package controllers

import "github.com/nftpolicy/nftpolicy/nft"

// elementsPerMessage is how many set elements the kernel layer puts in one netlink message, at most.
const elementsPerMessage = 1000

// planStats is the size of one batch, derived from its plan.
type planStats struct {
	// Messages counts the netlink messages of the batch in the order nft/kernel sends them (add table, flushes,
	// deletions of replaced objects, new chains and sets, element changes, rules, obsolete objects), not
	// counting the batch's begin and end. Element lists are counted at 1,000 elements a message; the kernel
	// layer also cuts a message at 60,000 bytes, so wide interval keys may take a few more.
	Messages int
	// Elements counts set and map elements added or deleted, those of new sets included.
	Elements int
	// ChainWrites counts chains whose rules are (re)written.
	ChainWrites int
}

func statsOf(p *nft.Plan) planStats {
	var s planStats
	if p == nil || p.Empty() {
		return s
	}
	s.Messages = 1 // add table: creates it, or no-ops
	added := map[string]bool{}
	for _, c := range p.AddChains {
		added[c.Name] = true
	}
	deleted := map[string]bool{}
	for _, n := range p.DelChains {
		deleted[n] = true
	}
	flushed := map[string]bool{}
	flush := func(name string) {
		if !flushed[name] && (!added[name] || deleted[name]) {
			flushed[name] = true
			s.Messages++
		}
	}
	for _, n := range p.FlushChains {
		flush(n)
	}
	for _, c := range p.WriteChains {
		flush(c.Name)
	}
	s.Messages += len(p.DelChains) + len(p.DelSets) + len(p.AddChains) + len(p.AddSets)
	for _, set := range p.AddSets {
		s.add(len(set.Elements))
	}
	for _, es := range p.DelElements {
		s.add(len(es))
	}
	for _, es := range p.AddElements {
		s.add(len(es))
	}
	for _, c := range p.WriteChains {
		s.Messages += len(c.Rules)
	}
	s.ChainWrites = len(p.WriteChains)
	return s
}

func (s *planStats) add(elements int) {
	s.Elements += elements
	s.Messages += (elements + elementsPerMessage - 1) / elementsPerMessage
}

// tableStats counts what a table holds.
type tableStats struct{ Rules, Sets, Elements int }

func statsOfTable(t *nft.Table) tableStats {
	var s tableStats
	if t == nil {
		return s
	}
	for _, c := range t.Chains {
		s.Rules += len(c.Rules)
	}
	s.Sets = len(t.Sets)
	for _, set := range t.Sets {
		s.Elements += len(set.Elements)
	}
	return s
}

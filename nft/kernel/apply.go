package kernel

import (
	"fmt"
	"slices"

	"github.com/nftpolicy/nftpolicy/nft"
)

// buildBatch turns a plan into the messages of one transaction. The order keeps every reference valid at every
// step, including for objects the plan replaces (a chain whose hook changed, a set whose key changed: named in
// both the delete and the add lists), which must go before their new version comes:
//
//  1. add table (creates it if missing, clears its flags if set; a table known to be dormant was woken up by a
//     batch of its own before, see Conn.apply)
//  2. flush every chain that is rewritten or goes away, so no rule references what is deleted next
//  3. delete the replaced chains and sets
//  4. add chains (empty), then sets with their elements
//  5. delete, then add elements of existing sets and maps
//  6. fill the rewritten chains
//  7. delete obsolete sets, then obsolete chains (nothing references them any more)
//
// The plan's element changes do not say what the set's key is: defs gives the definition of every set whose
// elements change.
func buildBatch(p *nft.Plan, defs map[string]*nft.Set) (*batch, error) {
	b, err := newBatch()
	if err != nil {
		return nil, err
	}
	addChain := names(p.AddChains, func(c *nft.Chain) string { return c.Name })
	delChain := set(p.DelChains)
	addSet := names(p.AddSets, func(s *nft.Set) string { return s.Name })

	if err := b.addTable(); err != nil {
		return nil, err
	}
	flushed := map[string]bool{}
	flush := func(name string) error {
		// A chain created in this batch has nothing to flush (unless it replaces an old one).
		if flushed[name] || (addChain[name] && !delChain[name]) {
			return nil
		}
		flushed[name] = true
		return b.flushChain(name)
	}
	for _, n := range p.FlushChains {
		if err := flush(n); err != nil {
			return nil, err
		}
	}
	for _, c := range p.WriteChains {
		if err := flush(c.Name); err != nil {
			return nil, err
		}
	}
	for _, n := range p.DelChains {
		if addChain[n] {
			if err := b.delChain(n); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range p.DelSets {
		if addSet[n] {
			if err := b.delSet(n); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range p.AddChains {
		if err := b.addChain(c); err != nil {
			return nil, err
		}
	}
	setIDs := map[string]uint32{}
	for _, s := range p.AddSets {
		id, err := b.addSet(s)
		if err != nil {
			return nil, err
		}
		setIDs[s.Name] = id
		if err := b.elements(s, id, s.Elements, false); err != nil {
			return nil, err
		}
	}
	if err := elementChanges(b, p.DelElements, defs, true); err != nil {
		return nil, err
	}
	if err := elementChanges(b, p.AddElements, defs, false); err != nil {
		return nil, err
	}
	for _, c := range p.WriteChains {
		if err := b.addRules(c, setIDs); err != nil {
			return nil, err
		}
	}
	for _, n := range p.DelSets {
		if !addSet[n] {
			if err := b.delSet(n); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range p.DelChains {
		if !addChain[n] {
			if err := b.delChain(n); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// elementChanges queues element deletions or additions, set by set in name order.
func elementChanges(b *batch, m map[string][]nft.Element, defs map[string]*nft.Set, del bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, name := range keys {
		s, ok := defs[name]
		if !ok {
			return fmt.Errorf("elements of set %s %s: no such set", tableLabel(), name)
		}
		if err := b.elements(s, 0, m[name], del); err != nil {
			return err
		}
	}
	return nil
}

func names[T any](xs []T, name func(T) string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[name(x)] = true
	}
	return m
}

func set(xs []string) map[string]bool { return names(xs, func(s string) string { return s }) }

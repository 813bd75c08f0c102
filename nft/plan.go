package nft

import "slices"

// Plan is the difference between what the kernel holds and the desired table, as the operations of one atomic
// batch. The kernel layer applies the fields in the order they are declared, which keeps every reference valid at
// every step: new chains exist before rules and map elements point at them; rules that use a set are flushed
// before the set goes; map elements that jump to a chain are removed before the chain goes. A chain or set named
// in both a Del and an Add list is replaced: the kernel layer flushes and deletes the old one first.
type Plan struct {
	// CreateTable is set when the table does not exist yet.
	CreateTable bool
	// AddChains are new chains, created empty (their rules follow in WriteChains).
	AddChains []*Chain
	// AddSets are new sets and maps, with their elements.
	AddSets []*Set
	// DelElements and AddElements change existing sets and maps, keyed by set name (removals go first).
	DelElements map[string][]Element
	AddElements map[string][]Element
	// WriteChains are chains whose rules are (re)written: flushed, then filled with Rules.
	WriteChains []*Chain
	// FlushChains are obsolete chains, emptied so nothing they reference stays in use.
	FlushChains []string
	// DelSets are obsolete sets and maps.
	DelSets []string
	// DelChains are obsolete chains (already flushed).
	DelChains []string
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	return !p.CreateTable && len(p.AddChains) == 0 && len(p.AddSets) == 0 && len(p.DelElements) == 0 &&
		len(p.AddElements) == 0 && len(p.WriteChains) == 0 && len(p.FlushChains) == 0 && len(p.DelSets) == 0 &&
		len(p.DelChains) == 0
}

// Diff plans the change from current (what the kernel holds; nil when the table does not exist) to desired.
// A chain is rewritten only when its rules changed; a set only gets the elements that changed. A set or chain
// whose definition (key, flags, hook) changed is deleted and created again.
func Diff(current, desired *Table) *Plan {
	p := &Plan{DelElements: map[string][]Element{}, AddElements: map[string][]Element{}}
	if current == nil {
		p.CreateTable = true
		current = &Table{}
	}
	curSets := index(current.Sets, func(s *Set) string { return s.Name })
	curChains := index(current.Chains, func(c *Chain) string { return c.Name })
	wantSets := index(desired.Sets, func(s *Set) string { return s.Name })
	wantChains := index(desired.Chains, func(c *Chain) string { return c.Name })

	for _, c := range desired.Chains {
		old, ok := curChains[c.Name]
		switch {
		case !ok:
			p.AddChains = append(p.AddChains, c)
			if len(c.Rules) > 0 {
				p.WriteChains = append(p.WriteChains, c)
			}
		case !sameHook(old.Hook, c.Hook):
			// A hook cannot change in place: flush and delete the old chain, then create it again.
			p.FlushChains = append(p.FlushChains, c.Name)
			p.DelChains = append(p.DelChains, c.Name)
			p.AddChains = append(p.AddChains, c)
			p.WriteChains = append(p.WriteChains, c)
		case !slices.EqualFunc(old.Rules, c.Rules, Rule.Equal):
			p.WriteChains = append(p.WriteChains, c)
		}
	}
	for _, c := range current.Chains {
		if _, ok := wantChains[c.Name]; !ok {
			p.FlushChains = append(p.FlushChains, c.Name)
			p.DelChains = append(p.DelChains, c.Name)
		}
	}
	for _, s := range desired.Sets {
		old, ok := curSets[s.Name]
		if ok && !sameSetDefinition(old, s) {
			p.DelSets = append(p.DelSets, s.Name)
			ok = false
		}
		if !ok {
			p.AddSets = append(p.AddSets, s)
			continue
		}
		del, add := diffElements(old.Elements, s.Elements)
		if len(del) > 0 {
			p.DelElements[s.Name] = del
		}
		if len(add) > 0 {
			p.AddElements[s.Name] = add
		}
	}
	for _, s := range current.Sets {
		if _, ok := wantSets[s.Name]; !ok {
			p.DelSets = append(p.DelSets, s.Name)
		}
	}
	rewriteUsersOfReplacedSets(p, desired)
	return p
}

// rewriteUsersOfReplacedSets adds to WriteChains every desired chain with a rule that uses a set whose
// definition changed: rules stay bound to the old set (the kernel refuses to delete it) until they are rewritten.
func rewriteUsersOfReplacedSets(p *Plan, desired *Table) {
	replaced := map[string]bool{}
	for _, s := range p.AddSets {
		if slices.Contains(p.DelSets, s.Name) {
			replaced[s.Name] = true
		}
	}
	if len(replaced) == 0 {
		return
	}
	for _, c := range desired.Chains {
		uses := slices.ContainsFunc(c.Rules, func(r Rule) bool { return replaced[r.Set] })
		if uses && !slices.Contains(p.WriteChains, c) {
			p.WriteChains = append(p.WriteChains, c)
		}
	}
}

func index[T any](xs []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		m[key(x)] = x
	}
	return m
}

func sameHook(a, b *Hook) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameSetDefinition(a, b *Set) bool {
	return a.Interval == b.Interval && a.Map == b.Map && slices.Equal(a.Key, b.Key)
}

// diffElements returns the elements only in old (to delete) and only in want (to add). Both lists are
// normally in canonical order (the compiler sorts, the kernel layer sorts what it reads), so one merge walk does
// it without allocating; unsorted input falls back to hash maps.
func diffElements(old, want []Element) (del, add []Element) {
	if !slices.IsSortedFunc(old, CompareElements) || !slices.IsSortedFunc(want, CompareElements) {
		return diffElementsUnsorted(old, want)
	}
	i, j := 0, 0
	for i < len(old) && j < len(want) {
		switch c := CompareElements(old[i], want[j]); {
		case c == 0:
			i++
			j++
		case c < 0:
			del = append(del, old[i])
			i++
		default:
			add = append(add, want[j])
			j++
		}
	}
	del = append(del, old[i:]...)
	add = append(add, want[j:]...)
	return del, add
}

func diffElementsUnsorted(old, want []Element) (del, add []Element) {
	have := make(map[Element]struct{}, len(old))
	for _, e := range old {
		have[e] = struct{}{}
	}
	keep := make(map[Element]struct{}, len(want))
	for _, e := range want {
		keep[e] = struct{}{}
		if _, ok := have[e]; !ok {
			add = append(add, e)
		}
	}
	for _, e := range old {
		if _, ok := keep[e]; !ok {
			del = append(del, e)
		}
	}
	return del, add
}

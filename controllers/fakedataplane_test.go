package controllers

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/nftpolicy/nftpolicy/nft"
)

// fakeDataplane is an in-memory Dataplane with the kernel layer's contract: a plan is applied to what the
// "kernel" holds as a whole or not at all (a plan that deletes or flushes something missing fails, leaving the
// table as it was), and Sync diffs against what it last applied or read, reading the kernel on first use and
// after a failure, as kernel.Conn does.
type fakeDataplane struct {
	mu     sync.Mutex
	kernel *nft.Table // what the kernel holds; nil: no table
	memory *nft.Table // what the next Sync diffs against
	known  bool

	plans     []*nft.Plan // every non-empty plan applied
	syncs     int         // Sync calls
	reads     int         // Read calls
	failSyncs int         // the next failSyncs Sync calls fail
	failReads int         // the next failReads Read calls fail
	gate      chan struct{}
	log       []string // "sync", "read": every call in order
}

var errInjected = errors.New("injected failure")

func (f *fakeDataplane) Sync(desired *nft.Table) (*nft.Plan, error) {
	if g := f.gateChan(); g != nil {
		<-g
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	f.log = append(f.log, "sync")
	if !f.known {
		f.memory, f.known = cloneTable(f.kernel), true
	}
	p := nft.Diff(f.memory, desired)
	if f.failSyncs > 0 {
		f.failSyncs--
		f.known = false
		return p, errInjected
	}
	if p.Empty() {
		return p, nil
	}
	next, err := applyPlan(f.kernel, p)
	if err != nil {
		f.known = false
		return p, err
	}
	f.kernel, f.memory = next, cloneTable(desired)
	f.plans = append(f.plans, p)
	return p, nil
}

func (f *fakeDataplane) gateChan() chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gate
}

func (f *fakeDataplane) Read() (*nft.Table, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	f.log = append(f.log, "read")
	if f.failReads > 0 {
		f.failReads--
		f.known = false
		return nil, errInjected
	}
	f.memory, f.known = cloneTable(f.kernel), true
	return cloneTable(f.kernel), nil
}

func (f *fakeDataplane) Delete() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kernel, f.memory, f.known = nil, nil, true
	return nil
}

// tamper changes what the kernel holds behind the agent's back.
func (f *fakeDataplane) tamper(change func(t *nft.Table) *nft.Table) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.kernel = change(cloneTable(f.kernel))
}

// holds returns a copy of what the kernel holds.
func (f *fakeDataplane) holds() *nft.Table {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneTable(f.kernel)
}

func (f *fakeDataplane) counts() (syncs, reads, plans int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.syncs, f.reads, len(f.plans)
}

func (f *fakeDataplane) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

// applyPlan returns cur with p applied, or an error naming the first operation the kernel would refuse.
func applyPlan(cur *nft.Table, p *nft.Plan) (*nft.Table, error) {
	if cur == nil && !p.CreateTable {
		return nil, errors.New("no such table")
	}
	t := cloneTable(cur)
	if t == nil {
		t = &nft.Table{}
	}
	chains := map[string]*nft.Chain{}
	for _, c := range t.Chains {
		chains[c.Name] = c
	}
	sets := map[string]*nft.Set{}
	for _, s := range t.Sets {
		sets[s.Name] = s
	}
	added := map[string]bool{}
	for _, c := range p.AddChains {
		added[c.Name] = true
	}
	for _, n := range append(slices.Clone(p.FlushChains), chainNames(p.WriteChains)...) {
		if chains[n] == nil && !added[n] {
			return nil, fmt.Errorf("flush chain %s: no such chain", n)
		}
		if c := chains[n]; c != nil {
			c.Rules = nil
		}
	}
	for _, n := range p.DelChains {
		if chains[n] == nil {
			return nil, fmt.Errorf("delete chain %s: no such chain", n)
		}
		delete(chains, n)
	}
	for _, n := range p.DelSets {
		if sets[n] == nil {
			return nil, fmt.Errorf("delete set %s: no such set", n)
		}
		delete(sets, n)
	}
	for _, c := range p.AddChains {
		chains[c.Name] = &nft.Chain{Name: c.Name, Hook: c.Hook}
	}
	for _, s := range p.AddSets {
		sets[s.Name] = cloneSet(s)
	}
	for name, es := range p.DelElements {
		s := sets[name]
		if s == nil {
			return nil, fmt.Errorf("delete elements of %s: no such set", name)
		}
		for _, e := range es {
			i := slices.Index(s.Elements, e)
			if i < 0 {
				return nil, fmt.Errorf("delete element of %s: no such element", name)
			}
			s.Elements = slices.Delete(s.Elements, i, i+1)
		}
	}
	for name, es := range p.AddElements {
		s := sets[name]
		if s == nil {
			return nil, fmt.Errorf("add elements to %s: no such set", name)
		}
		s.Elements = append(s.Elements, es...)
		nft.SortElements(s.Elements)
	}
	for _, c := range p.WriteChains {
		chains[c.Name].Rules = slices.Clone(c.Rules)
	}
	t.Chains, t.Sets = nil, nil
	for _, n := range sortedKeys(chains) {
		t.Chains = append(t.Chains, chains[n])
	}
	for _, n := range sortedKeys(sets) {
		t.Sets = append(t.Sets, sets[n])
	}
	return t, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func cloneTable(t *nft.Table) *nft.Table {
	if t == nil {
		return nil
	}
	out := &nft.Table{}
	for _, s := range t.Sets {
		out.Sets = append(out.Sets, cloneSet(s))
	}
	for _, c := range t.Chains {
		cc := *c
		cc.Rules = slices.Clone(c.Rules)
		out.Chains = append(out.Chains, &cc)
	}
	return out
}

func cloneSet(s *nft.Set) *nft.Set {
	c := *s
	c.Key = slices.Clone(s.Key)
	c.Elements = slices.Clone(s.Elements)
	return &c
}

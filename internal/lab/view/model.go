package view

import (
	"cmp"
	"slices"
)

// probe is a Result placed in the model.
type probe struct {
	Result
	from, to int // indexes of model.eps
	key      probeKey
	fam      family
}

// pair is an ordered pair of endpoints (indexes of model.eps).
type pair struct{ from, to int }

// model is the results sorted and counted, the input of every part of the view.
type model struct {
	eps    []endpoint // sorted; eps[i].num == i+1
	rows   []int      // endpoints that probes go from
	cols   []int      // endpoints that probes go to
	pairs  map[pair]*pairStats
	keys   []probeKey // every key probed, sorted
	fams   [numFamilies]bool
	probes []probe // sorted by from, to, key, family
}

func newModel(results []Result) *model {
	m := &model{pairs: map[pair]*pairStats{}}
	byName := map[string]int{}
	for _, r := range results {
		for _, n := range []string{r.From, r.To} {
			e := newEndpoint(n)
			if _, ok := byName[e.name]; !ok {
				byName[e.name] = len(m.eps)
				m.eps = append(m.eps, e)
			}
		}
	}
	slices.SortFunc(m.eps, compareEndpoints)
	for i := range m.eps {
		m.eps[i].num = i + 1
		byName[m.eps[i].name] = i
	}
	keys := map[probeKey]bool{}
	for _, r := range results {
		p := probe{Result: r, from: byName[newEndpoint(r.From).name], to: byName[newEndpoint(r.To).name],
			key: keyOf(r), fam: familyOf(r)}
		m.probes = append(m.probes, p)
		m.eps[p.from].row, m.eps[p.to].col = true, true
		keys[p.key], m.fams[p.fam] = true, true
		pr := pair{p.from, p.to}
		if m.pairs[pr] == nil {
			m.pairs[pr] = &pairStats{keys: map[probeKey]*keyStats{}}
		}
		m.pairs[pr].add(p)
	}
	for i, e := range m.eps {
		if e.row {
			m.rows = append(m.rows, i)
		}
		if e.col {
			m.cols = append(m.cols, i)
		}
	}
	for k := range keys {
		m.keys = append(m.keys, k)
	}
	slices.SortFunc(m.keys, probeKey.compare)
	slices.SortStableFunc(m.probes, compareProbes)
	return m
}

func compareProbes(a, b probe) int {
	return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to), a.key.compare(b.key),
		cmp.Compare(a.fam, b.fam), a.FromIP.Compare(b.FromIP), a.ToIP.Compare(b.ToIP),
		cmp.Compare(errText(a.Err), errText(b.Err)))
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return oneLine(err.Error())
}

// dualStack tells whether probes of both families were sent.
func (m *model) dualStack() bool { return m.fams[fam4] && m.fams[fam6] }

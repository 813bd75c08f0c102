package build

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// labelIndexMin is the namespace size from which a selector looks up candidates in a label index instead of
// testing every pod of the namespace.
const labelIndexMin = 64

// podIndex answers "which pods of namespace ns does this selector match" over a subset of the eligible pods (all
// of them, or the local ones), caching each answer by namespace and canonical selector string.
type podIndex struct {
	pods  []podInfo          // the inventory's pods; indices below point into it
	byNS  map[string][]int32 // sorted
	label map[string]*labelIndex
	cache map[[2]string][]int32
}

// labelIndex lists a namespace's pods by label, built on first use.
type labelIndex struct {
	byValue map[string]map[string][]int32 // key → value → pods, sorted
	byKey   map[string][]int32            // key → pods that have the key, sorted
}

func newPodIndex(pods []podInfo, include func(*podInfo) bool) *podIndex {
	x := &podIndex{pods: pods, byNS: map[string][]int32{}, label: map[string]*labelIndex{}, cache: map[[2]string][]int32{}}
	for i := range pods {
		if include(&pods[i]) {
			ns := pods[i].ref.Namespace
			x.byNS[ns] = append(x.byNS[ns], int32(i))
		}
	}
	return x
}

// match returns the pods of ns that sel matches, sorted. key must be sel's canonical string. The result is
// shared: do not modify it.
func (x *podIndex) match(ns string, sel labels.Selector, key string) []int32 {
	all := x.byNS[ns]
	if sel.Empty() || len(all) == 0 {
		return all
	}
	k := [2]string{ns, key}
	if r, ok := x.cache[k]; ok {
		return r
	}
	var out []int32
	for _, i := range x.candidates(ns, sel, all) {
		if sel.Matches(x.pods[i].labels) {
			out = append(out, i)
		}
	}
	x.cache[k] = out
	return out
}

// candidates narrows the pods to test with the most selective positive requirement (=, in, exists) of sel.
// Negative requirements (notin, !) match pods without the key, so they cannot narrow.
func (x *podIndex) candidates(ns string, sel labels.Selector, all []int32) []int32 {
	if len(all) < labelIndexMin {
		return all
	}
	reqs, ok := sel.Requirements()
	if !ok {
		return all
	}
	li := x.labelIndex(ns, all)
	best, bestN := -1, len(all)
	count := func(r *labels.Requirement) (int, bool) {
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			n := 0
			for _, v := range r.ValuesUnsorted() {
				n += len(li.byValue[r.Key()][v])
			}
			return n, true
		case selection.Exists:
			return len(li.byKey[r.Key()]), true
		}
		return 0, false
	}
	for i := range reqs {
		if n, ok := count(&reqs[i]); ok && n < bestN {
			best, bestN = i, n
		}
	}
	if best < 0 {
		return all
	}
	r := &reqs[best]
	if r.Operator() == selection.Exists {
		return li.byKey[r.Key()]
	}
	vals := r.ValuesUnsorted()
	if len(vals) == 1 {
		return li.byValue[r.Key()][vals[0]]
	}
	out := make([]int32, 0, bestN)
	for _, v := range vals {
		out = append(out, li.byValue[r.Key()][v]...)
	}
	slices.Sort(out)
	return out
}

func (x *podIndex) labelIndex(ns string, all []int32) *labelIndex {
	if li := x.label[ns]; li != nil {
		return li
	}
	li := &labelIndex{byValue: map[string]map[string][]int32{}, byKey: map[string][]int32{}}
	for _, i := range all {
		for k, v := range x.pods[i].labels {
			vs := li.byValue[k]
			if vs == nil {
				vs = map[string][]int32{}
				li.byValue[k] = vs
			}
			vs[v] = append(vs[v], i)
			li.byKey[k] = append(li.byKey[k], i)
		}
	}
	x.label[ns] = li
	return li
}

// nsIndex answers "which namespaces does this selector match", caching by canonical selector string.
type nsIndex struct {
	inv   *inventory
	cache map[string][]string
}

// match returns the names of the namespaces sel matches, sorted. The result is shared: do not modify it.
func (x *nsIndex) match(sel labels.Selector, key string) []string {
	if sel.Empty() {
		return x.inv.nsNames
	}
	if r, ok := x.cache[key]; ok {
		return r
	}
	var out []string
	for _, n := range x.inv.nsNames {
		if sel.Matches(x.inv.nsLabels[n]) {
			out = append(out, n)
		}
	}
	x.cache[key] = out
	return out
}

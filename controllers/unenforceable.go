package controllers

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Event reason and action on a NetworkPolicy the agent does not enforce.
const (
	ReasonUnenforceable = "Unenforceable"
	actionEnforce       = "Enforce"
	maxNoteBytes        = 1024 // events.k8s.io/v1 limit of note
)

// policyFilter sets aside the NetworkPolicies the IR builder refuses (build.Validate), so that one bad policy
// does not stop the node from enforcing all the others, and tells about each one with a Warning Event on the
// policy, once per generation. Validation results are remembered per generation, so a sync validates only the
// policies that changed.
type policyFilter struct {
	node     string
	recorder events.EventRecorder
	checked  map[policyKey]validation
}

type policyKey struct {
	namespace, name string
	uid             types.UID
}

type validation struct {
	generation int64
	err        error
}

func newPolicyFilter(node string, r events.EventRecorder) *policyFilter {
	return &policyFilter{node: node, recorder: r, checked: map[policyKey]validation{}}
}

// filter returns the policies to enforce and those set aside, sorted.
func (f *policyFilter) filter(pols []*networkingv1.NetworkPolicy) ([]*networkingv1.NetworkPolicy, []Excluded) {
	keep := make([]*networkingv1.NetworkPolicy, 0, len(pols))
	var excluded []Excluded
	seen := make(map[policyKey]bool, len(pols))
	for _, p := range pols {
		k := policyKey{p.Namespace, p.Name, p.UID}
		seen[k] = true
		v, ok := f.checked[k]
		if !ok || v.generation != p.Generation {
			v = validation{generation: p.Generation, err: build.Validate(p)}
			f.checked[k] = v
			if v.err != nil {
				f.report(p, v.err)
			}
		}
		if v.err == nil {
			keep = append(keep, p)
			continue
		}
		excluded = append(excluded, Excluded{Policy: ir.PolicyRef{Namespace: p.Namespace, Name: p.Name},
			Reason: v.err.Error()})
	}
	for k := range f.checked {
		if !seen[k] {
			delete(f.checked, k)
		}
	}
	slices.SortFunc(excluded, func(a, b Excluded) int { return compareRefs(a.Policy, b.Policy) })
	return keep, excluded
}

func (f *policyFilter) report(p *networkingv1.NetworkPolicy, err error) {
	note := "not enforced on node " + f.node + ": " + err.Error()
	note = cutNote(note)
	f.recorder.Eventf(p, nil, corev1.EventTypeWarning, ReasonUnenforceable, actionEnforce, "%s", note)
}

func compareRefs(a, b ir.PolicyRef) int {
	return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

func sortRefs(refs []ir.PolicyRef) { slices.SortFunc(refs, compareRefs) }

// cutNote keeps an Event's note within what events.k8s.io/v1 accepts: the API server refuses a longer one and
// the Event is lost.
func cutNote(note string) string {
	if len(note) <= maxNoteBytes {
		return note
	}
	return strings.ToValidUTF8(note[:maxNoteBytes-3], "") + "..."
}

package controllers

import (
	"cmp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Event reasons and action on a policy the agent does not enforce as written.
const (
	// ReasonUnenforceable: the policy is set aside (the builder refuses it); the others are enforced.
	ReasonUnenforceable = "Unenforceable"
	// ReasonPartiallyEnforced: a ClusterNetworkPolicy is enforced but for fields nftpolicy cannot enforce
	// (build.UnenforcedFields), which fail as unenforcedNote says.
	ReasonPartiallyEnforced = "PartiallyEnforced"
	actionEnforce           = "Enforce"
	maxNoteBytes            = 1024 // events.k8s.io/v1 limit of note
)

// policyFilter sets aside the NetworkPolicies (build.Validate) and ClusterNetworkPolicies (build.ValidateCluster)
// the IR builder refuses, so that one bad policy does not stop the node from enforcing all the others, and tells
// about each one with a Warning Event on the policy, once per generation; a ClusterNetworkPolicy with fields
// nftpolicy cannot enforce gets one too, and is enforced. Validation results are remembered per generation, so a
// sync validates only the policies that changed.
//
// A ClusterNetworkPolicy is cluster-scoped and validates the same on every node: one agent reports it, not every
// node's (1,000 Warnings per rollout in a 1,000-node cluster), namely the agent of the node whose name is the
// smallest among the Nodes the agent watches (clusterReporter). Every agent still lists it in its own
// NodePolicyStatus (Excluded). When the reporting node goes away, the next one reports what was not reported yet.
type policyFilter struct {
	node     string
	recorder events.EventRecorder
	checked  map[policyKey]validation // both kinds: a ClusterNetworkPolicy's key has no namespace
}

type policyKey struct {
	namespace, name string
	uid             types.UID
}

type validation struct {
	generation int64
	err        error
	unenforced []string // fields of a valid ClusterNetworkPolicy that are not enforced
	reported   bool     // this agent recorded the Event this generation calls for (if any)
}

func newPolicyFilter(node string, r events.EventRecorder) *policyFilter {
	return &policyFilter{node: node, recorder: r, checked: map[policyKey]validation{}}
}

// filter returns the policies to enforce of each kind, and those not enforced as written (set aside, or
// ClusterNetworkPolicies enforced in part), sorted: ClusterNetworkPolicies (no namespace) first. nodes are the
// Nodes of the cluster as the agent's informer has them (nil when it does not watch them): they decide whether
// this agent reports ClusterNetworkPolicies.
func (f *policyFilter) filter(pols []*networkingv1.NetworkPolicy, cnps []*cnp.ClusterNetworkPolicy,
	nodes []*corev1.Node) ([]*networkingv1.NetworkPolicy, []*cnp.ClusterNetworkPolicy, []Excluded) {
	seen := make(map[policyKey]bool, len(pols)+len(cnps))
	var excluded []Excluded
	keepPols := keep(f, seen, &excluded, pols, true, func(p *networkingv1.NetworkPolicy) validation {
		return validation{generation: p.Generation, err: build.Validate(p)}
	})
	reporter := clusterReporter(f.node, nodes)
	keepCNPs := keep(f, seen, &excluded, cnps, reporter, func(p *cnp.ClusterNetworkPolicy) validation {
		fields, err := build.UnenforcedFields(p)
		return validation{generation: p.Generation, err: err, unenforced: fields}
	})
	for k := range f.checked {
		if !seen[k] {
			delete(f.checked, k)
		}
	}
	slices.SortFunc(excluded, func(a, b Excluded) int { return compareRefs(a.Policy, b.Policy) })
	return keepPols, keepCNPs, excluded
}

// policyObject is a policy object of either kind.
type policyObject interface {
	*networkingv1.NetworkPolicy | *cnp.ClusterNetworkPolicy
	GetNamespace() string
	GetName() string
	GetUID() types.UID
	GetGeneration() int64
	runtime.Object
}

// keep validates the objects of one kind (each generation once), reports what changed when report says this
// agent reports this kind (what it has not reported yet, so a new reporter catches up), and returns the ones to
// enforce; those not enforced as written are added to excluded.
func keep[P policyObject](f *policyFilter, seen map[policyKey]bool, excluded *[]Excluded, objs []P, report bool,
	validate func(P) validation) []P {
	out := make([]P, 0, len(objs))
	for _, p := range objs {
		k := policyKey{p.GetNamespace(), p.GetName(), p.GetUID()}
		seen[k] = true
		v, ok := f.checked[k]
		if !ok || v.generation != p.GetGeneration() {
			v = validate(p)
			f.checked[k] = v
		}
		if report && !v.reported {
			f.report(p, v)
			v.reported = true
			f.checked[k] = v
		}
		ref := ir.PolicyRef{Namespace: p.GetNamespace(), Name: p.GetName()}
		switch {
		case v.err != nil:
			*excluded = append(*excluded, Excluded{Policy: ref, Reason: v.err.Error()})
			continue
		case len(v.unenforced) > 0:
			*excluded = append(*excluded, Excluded{Policy: ref, Reason: unenforcedNote(v.unenforced), Partial: true})
		}
		out = append(out, p)
	}
	return out
}

// report records the Warning Event of a validation, if it calls for one. A NetworkPolicy's names the node; a
// ClusterNetworkPolicy's speaks for every node (one agent reports it; the builder decides the same everywhere).
func (f *policyFilter) report(obj runtime.Object, v validation) {
	where := "on node " + f.node
	if _, cluster := obj.(*cnp.ClusterNetworkPolicy); cluster {
		where = "on any node"
	}
	switch {
	case v.err != nil:
		note := cutNote("not enforced " + where + ": " + v.err.Error())
		f.recorder.Eventf(obj, nil, corev1.EventTypeWarning, ReasonUnenforceable, actionEnforce, "%s", note)
	case len(v.unenforced) > 0:
		note := cutNote("enforced on every node except " + unenforcedNote(v.unenforced))
		f.recorder.Eventf(obj, nil, corev1.EventTypeWarning, ReasonPartiallyEnforced, actionEnforce, "%s", note)
	}
}

// clusterReporter says whether the agent of node reports ClusterNetworkPolicies: when its name is the smallest
// among nodes (every agent watches the same Nodes, so about one agent does; during a change of the list two may
// for a moment), and when it has no Nodes to compare with (not watching them, or none listed yet): reporting
// twice is better than not at all.
func clusterReporter(node string, nodes []*corev1.Node) bool {
	for _, n := range nodes {
		if n.Name < node {
			return false
		}
	}
	return true
}

// unenforcedNote says which fields are not enforced and what the rules holding them do instead, as the builder
// compiles them (build.UnenforcedFields; docs/semantics.md).
func unenforcedNote(fields []string) string {
	return strings.Join(fields, ", ") + ": nftpolicy cannot enforce these (domainNames; a peer or protocols " +
		"entry of a newer API; a selector that is not valid): an Accept rule matches nothing through them, a Deny " +
		"or Pass rule denies instead (domainNames: every address on its protocols; the others: all traffic)"
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

package controllers

import (
	"time"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// Report says what one sync attempt did; Options.OnSync receives it (e.g. to publish a per-node status).
type Report struct {
	Start    time.Time
	Duration time.Duration
	// Err is nil when the dataplane holds the desired table.
	Err error
	// FailedStep is the step that failed when Err is set, as nftpolicy_errors_total labels it: "list" (the
	// cache), "build" (the IR), "read" (reading the table back) or "dataplane" (applying the batch).
	FailedStep string
	// Plan is the batch applied: empty when nothing changed, nil when the attempt failed before applying.
	Plan *nft.Plan
	// Table is the table in force after a successful sync.
	Table *nft.Table
	// Node is the IR the table was compiled from. Read only.
	Node *ir.Node
	// Enforced are the policies that select at least one pod of this node, sorted: NetworkPolicies, and
	// ClusterNetworkPolicies (Namespace "") with rules for such a pod.
	Enforced []ir.PolicyRef
	// Excluded are the policies not enforced as written, sorted: those set aside because they cannot be
	// enforced, and ClusterNetworkPolicies with fields nftpolicy cannot enforce (Partial).
	Excluded []Excluded
	// Repaired says the verification found the table changed by someone else, and this sync restored it.
	Repaired bool
	// StrictCut is how many conntrack entries strict mode (Options.Strict) deleted after this sync: established
	// flows the new table denies. StrictErr is why it could not cut them all; it does not make the sync fail.
	StrictCut int
	StrictErr error
}

// Excluded is a policy that cannot be enforced as written, and why. Policy.Namespace is "" for a
// ClusterNetworkPolicy.
type Excluded struct {
	Policy ir.PolicyRef
	Reason string
	// Partial: the policy is enforced but for the fields Reason names (ClusterNetworkPolicy domainNames); false:
	// it is set aside whole.
	Partial bool
}

// setAside counts the policies of ex that are not enforced at all.
func setAside(ex []Excluded) int {
	n := 0
	for _, e := range ex {
		if !e.Partial {
			n++
		}
	}
	return n
}

// enforced lists the policies of n's groups, sorted and without duplicates: the NetworkPolicies isolating their
// members and the ClusterNetworkPolicies of their tiers (Namespace "").
func enforced(n *ir.Node) []ir.PolicyRef {
	seen := map[ir.PolicyRef]bool{}
	var out []ir.PolicyRef
	add := func(p ir.PolicyRef) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, g := range n.Groups {
		for _, p := range g.Policies {
			add(p)
		}
		for _, rules := range [][]ir.ClusterRule{g.Admin, g.Baseline} {
			for _, r := range rules {
				add(ir.PolicyRef{Name: r.Policy})
			}
		}
	}
	sortRefs(out)
	return out
}

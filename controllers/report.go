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
	// Enforced are the policies that select at least one pod of this node, sorted.
	Enforced []ir.PolicyRef
	// Excluded are the NetworkPolicies set aside because they cannot be enforced, sorted.
	Excluded []Excluded
	// Repaired says the verification found the table changed by someone else, and this sync restored it.
	Repaired bool
	// StrictCut is how many conntrack entries strict mode (Options.Strict) deleted after this sync: established
	// flows the new table denies. StrictErr is why it could not cut them all; it does not make the sync fail.
	StrictCut int
	StrictErr error
}

// Excluded is a NetworkPolicy that cannot be enforced, and why.
type Excluded struct {
	Policy ir.PolicyRef
	Reason string
}

// enforced lists the policies of n's groups, sorted and without duplicates.
func enforced(n *ir.Node) []ir.PolicyRef {
	seen := map[ir.PolicyRef]bool{}
	var out []ir.PolicyRef
	for _, g := range n.Groups {
		for _, p := range g.Policies {
			if !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	sortRefs(out)
	return out
}

package eval

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// Verdict is the answer for one connection, with the reasons on each side.
type Verdict struct {
	// Allowed is SamePod || (Egress.Allowed && Ingress.Allowed).
	Allowed bool
	// SamePod: src == dst, allowed before any policy (a pod cannot block access to itself; docs/semantics.md).
	SamePod bool
	Egress  Side // the source's side (src a pod of the IR)
	Ingress Side // the destination's side

	// What was asked, for String.
	src, dst netip.Addr
	proto    ir.Protocol
	port     uint16
}

// Side is one direction's part of a verdict: the source's egress or the destination's ingress. The tiers are
// looked at in order (Admin, then NetworkPolicy or Baseline, then the default) until one decides; Tier says which.
type Side struct {
	Pod      ir.PodRef      // zero when the address is not a pod in the IR (then the side does not restrict)
	Isolated bool           // a NetworkPolicy with this direction selects the pod (ir.Group.Isolated)
	Policies []ir.PolicyRef // the NetworkPolicies isolating it (sorted, from the group)
	// AllowedBy are the NetworkPolicy rules that allow this connection, sorted by policy then index; empty when
	// none does, or when the NetworkPolicy tier was not reached (an Admin rule decided first).
	AllowedBy []RuleRef
	// Allowed is the side's answer: the deciding Admin or Baseline rule's action is Accept; or the NetworkPolicy
	// tier decided and AllowedBy is not empty or WouldDrop; or no tier decided (Tier Default).
	Allowed bool
	// WouldDrop: the NetworkPolicy tier decided, no rule allows the connection, but the pod's namespace is in audit
	// mode (ir.Group.Audit), so it passes and the drop is only logged. Audit mode never softens Admin or Baseline.
	WouldDrop bool

	// Tier is the tier that decided: Admin or Baseline (DecidedBy says which rule), NetworkPolicy (the pod is
	// Isolated), or Default (nothing decided: allowed; also for an address that is no pod of the IR).
	Tier Tier
	// DecidedBy is the Accept or Deny rule that decided when Tier is Admin or Baseline; nil otherwise.
	DecidedBy *ClusterRuleRef
	// Passed are the Pass rules that matched on the way, in evaluation order: at most one Admin rule, then at most
	// one Baseline rule.
	Passed []ClusterRuleRef
	// Unenforced are the rules looked at (every rule of the tiers evaluated, up to the deciding one) that have
	// fields nftpolicy does not enforce (ClusterRuleRef.Unenforced), in evaluation order. Such a rule matched as
	// the IR resolved it: an Accept rule as if the field matched nothing, a Deny or Pass rule as if it matched
	// every address.
	Unenforced []ClusterRuleRef

	looked int // ClusterNetworkPolicy rules looked at (RulesUndecided)
}

// Audited says the connection is allowed only because a side is in audit mode: enforced, it would be denied.
func (v Verdict) Audited() bool {
	return v.Allowed && !v.SamePod && (v.Egress.WouldDrop || v.Ingress.WouldDrop)
}

// RuleRef names one NetworkPolicy rule: spec.ingress[Index] or spec.egress[Index] of Policy, by the side it
// appears on.
type RuleRef struct {
	Policy ir.PolicyRef
	Index  int
}

// Tier is the tier that decided a side of a verdict.
type Tier uint8

const (
	// Default: no tier decided, the side allows (Kubernetes' default). The zero value.
	Default Tier = iota
	// Admin: an Admin ClusterNetworkPolicy rule accepted or denied.
	Admin
	// NetworkPolicy: NetworkPolicies isolate the pod and decided.
	NetworkPolicy
	// Baseline: a Baseline ClusterNetworkPolicy rule accepted or denied.
	Baseline
)

func (t Tier) String() string {
	switch t {
	case Admin:
		return "Admin"
	case NetworkPolicy:
		return "NetworkPolicy"
	case Baseline:
		return "Baseline"
	}
	return "Default"
}

// tierOf is the verdict tier of a ClusterNetworkPolicy tier.
func tierOf(t ir.Tier) Tier {
	if t == ir.Baseline {
		return Baseline
	}
	return Admin
}

// ClusterRuleRef names one ClusterNetworkPolicy rule a side looked at, with what it does.
type ClusterRuleRef struct {
	Tier      ir.Tier
	Policy    string
	Priority  int32
	Direction ir.Direction
	// Index is the rule's position in spec.ingress or spec.egress (by Direction); Name its optional name.
	Index  int
	Name   string
	Action ir.Action
	// Unenforced are the field paths of the rule nftpolicy does not enforce (ir.ClusterRule.Unenforced).
	Unenforced []string
}

// clusterRuleRef describes r, a rule of tier t in direction d; the result shares nothing with the IR.
func clusterRuleRef(t ir.Tier, d ir.Direction, r *ir.ClusterRule) ClusterRuleRef {
	return ClusterRuleRef{Tier: t, Policy: r.Policy, Priority: r.Priority, Direction: d, Index: r.Index,
		Name: r.Name, Action: r.Action, Unenforced: slices.Clone(r.Unenforced)}
}

// Ref names the rule as ir.ClusterRule.Ref does: `ClusterNetworkPolicy NAME egress[3] "rule-name"`.
func (r ClusterRuleRef) Ref() string {
	c := ir.ClusterRule{Policy: r.Policy, Index: r.Index, Name: r.Name}
	return c.Ref(r.Direction)
}

// String names the rule with its tier and priority: `Admin ClusterNetworkPolicy NAME egress[3] "rule-name"
// (priority 6)`.
func (r ClusterRuleRef) String() string {
	return fmt.Sprintf("%s %s (priority %d)", r.Tier, r.Ref(), r.Priority)
}

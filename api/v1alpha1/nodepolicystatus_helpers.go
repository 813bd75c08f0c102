package v1alpha1

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// MaxListed caps the lists of the status (policies, pods, unenforceablePolicies; the CRD's maxItems says the
// same): a node can hold thousands of pods, and the object is rewritten after every sync. Counts are never capped.
const MaxListed = 100

// ConditionSynced is the condition type that says whether the node's last sync attempt succeeded.
const ConditionSynced = "Synced"

// Reasons of the Synced condition.
const (
	// ReasonRulesetInForce: the kernel holds the desired ruleset.
	ReasonRulesetInForce = "RulesetInForce"
	// ReasonBuildFailed: the cluster's objects could not be turned into a ruleset.
	ReasonBuildFailed = "BuildFailed"
	// ReasonApplyFailed: the kernel refused the batch, or reading the table back failed.
	ReasonApplyFailed = "ApplyFailed"
	// ReasonAPIUnavailable: the API server is unreachable; the last ruleset stays in force.
	ReasonAPIUnavailable = "APIUnavailable"
)

// RulesetHash is the value of status.ruleset.hash for a table's nft text.
func RulesetHash(nftText []byte) string {
	sum := sha256.Sum256(nftText)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// SetPolicies records the policies in force: their count, and the first MaxListed in namespace/name order.
// refs is not modified.
func (s *NodePolicyStatusStatus) SetPolicies(refs []ObjectRef) {
	s.PolicyCount, s.Policies = capped(refs, func(r ObjectRef) ObjectRef { return r })
}

// SetPods records the isolated pods of the node: their count, and the first MaxListed in namespace/name order.
// refs is not modified.
func (s *NodePolicyStatusStatus) SetPods(refs []ObjectRef) {
	s.PodCount, s.Pods = capped(refs, func(r ObjectRef) ObjectRef { return r })
}

// SetUnenforceable records the policies set aside: their count, and the first MaxListed in namespace/name order.
// ps is not modified.
func (s *NodePolicyStatusStatus) SetUnenforceable(ps []UnenforceablePolicy) {
	s.UnenforceablePolicyCount, s.UnenforceablePolicies = capped(ps, func(p UnenforceablePolicy) ObjectRef { return p.ObjectRef })
}

func capped[T any](items []T, key func(T) ObjectRef) (int32, []T) {
	if len(items) == 0 {
		return 0, nil
	}
	sorted := slices.SortedStableFunc(slices.Values(items), func(a, b T) int {
		ka, kb := key(a), key(b)
		return cmp.Or(cmp.Compare(ka.Namespace, kb.Namespace), cmp.Compare(ka.Name, kb.Name))
	})
	return int32(len(items)), slices.Clip(sorted[:min(len(sorted), MaxListed)])
}

// Caps of the activity lists (the CRD's maxItems say the same): the agent refreshes them every few seconds, so
// they stay short enough that a write costs little.
const (
	MaxRecentDrops     = 20 // status.recentDrops
	MaxBusiestPolicies = 10 // status.busiestPolicies
	MaxDropPolicies    = 10 // status.recentDrops[].policies
)

// SetRecentDrops records drops newest first (ties keep their order), at most MaxRecentDrops, each naming at most
// MaxDropPolicies policies. ds is not modified.
func (s *NodePolicyStatusStatus) SetRecentDrops(ds []DropRecord) {
	if len(ds) == 0 {
		s.RecentDrops = nil
		return
	}
	sorted := slices.SortedStableFunc(slices.Values(ds), func(a, b DropRecord) int {
		return b.Time.Compare(a.Time.Time)
	})
	sorted = slices.Clip(sorted[:min(len(sorted), MaxRecentDrops)])
	for i := range sorted {
		sorted[i].Policies = slices.Clip(sorted[i].Policies[:min(len(sorted[i].Policies), MaxDropPolicies)])
	}
	s.RecentDrops = sorted
}

// SetBusiestPolicies records the MaxBusiestPolicies busiest of ps (BusierFirst), leaving out those that counted
// no packet. ps is not modified.
func (s *NodePolicyStatusStatus) SetBusiestPolicies(ps []PolicyCounts) {
	busy := slices.DeleteFunc(slices.Clone(ps), func(p PolicyCounts) bool {
		return p.DroppedPackets == 0 && p.AuditedPackets == 0 && p.AllowedPackets == 0
	})
	if len(busy) == 0 {
		s.BusiestPolicies = nil
		return
	}
	slices.SortFunc(busy, BusierFirst)
	s.BusiestPolicies = slices.Clip(busy[:min(len(busy), MaxBusiestPolicies)])
}

// BusierFirst orders policy counts by dropped packets, then audited (would-be dropped) packets, then allowed
// packets, all descending, then by namespace, name and direction: a total order, so that lists of them are
// deterministic.
func BusierFirst(a, b PolicyCounts) int {
	return cmp.Or(cmp.Compare(b.DroppedPackets, a.DroppedPackets), cmp.Compare(b.AuditedPackets, a.AuditedPackets),
		cmp.Compare(b.AllowedPackets, a.AllowedPackets),
		cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Direction, b.Direction))
}

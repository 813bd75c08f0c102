package compiler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// maxComment is the kernel's limit for a rule comment (128 bytes with the terminating NUL).
const maxComment = 127

// GroupChainName derives a group's chain name from its key: "ing-" or "egr-" and 16 hex digits of the key's
// SHA-256. Kubernetes names can be 253 bytes long, so they are hashed, never embedded; set names add at most
// 7 bytes ("-v6-np"), far below the kernel's 256.
func GroupChainName(g *ir.Group) string {
	sum := sha256.Sum256([]byte(g.Key))
	prefix := "ing-"
	if g.Direction == ir.Egress {
		prefix = "egr-"
	}
	return prefix + hex.EncodeToString(sum[:8])
}

// TierDenyChainName is the chain a group's Deny lookups of tier t go to: the group's chain name and "-ad"
// (Admin) or "-bd" (Baseline). It logs with its own name as prefix and counts the drop, so the agent maps a log
// prefix or a counter back to the group and tier with it.
func TierDenyChainName(g *ir.Group, t ir.Tier) string {
	if t == ir.Baseline {
		return GroupChainName(g) + "-bd"
	}
	return GroupChainName(g) + "-ad"
}

// AdminPassChainName is the chain holding what follows a group's Admin tier (its NetworkPolicy part, or its
// Baseline tier and the default allow) when an Admin Pass must skip the rest of the Admin lookups; see
// compileTiers. It exists only then.
func AdminPassChainName(g *ir.Group) string { return GroupChainName(g) + "-pass" }

// The infixes that follow the group's chain name in the names of a tier's sets (tierSetPrefix, SetTier).
const (
	adminSetInfix    = "-adm-"
	baselineSetInfix = "-bas-"
	groupChainLen    = len("ing-") + 16 // GroupChainName's length
)

// tierSetPrefix starts the names of a tier's sets: the group's chain name, "-adm" or "-bas", and the action
// ("-deny", "-accept", "-pass"); the family and shape follow ("-v4-np"), 37 bytes in all.
func tierSetPrefix(g *ir.Group, t ir.Tier, a ir.Action) string {
	tier := adminSetInfix
	if t == ir.Baseline {
		tier = baselineSetInfix
	}
	return GroupChainName(g) + tier + strings.ToLower(a.String())
}

// SetTier tells which ClusterNetworkPolicy tier a set of a group chain's lookups belongs to, by its name (see
// tierSetPrefix); false for any other set, such as a NetworkPolicy set ("ing-…-v4-np"). The set's group is the
// chain its name starts with (GroupChainName).
func SetTier(name string) (ir.Tier, bool) {
	if len(name) < groupChainLen || !(strings.HasPrefix(name, "ing-") || strings.HasPrefix(name, "egr-")) {
		return 0, false
	}
	switch rest := name[groupChainLen:]; {
	case strings.HasPrefix(rest, adminSetInfix):
		return ir.Admin, true
	case strings.HasPrefix(rest, baselineSetInfix):
		return ir.Baseline, true
	}
	return 0, false
}

// groupComment names the group's policies for humans within the kernel's comment limit (namesComment).
func groupComment(g *ir.Group, audit bool) string {
	head := g.Direction.String()
	if audit {
		head = "audit " + head
	}
	names := make([]string, len(g.Policies))
	for i, p := range g.Policies {
		names[i] = p.String()
	}
	return namesComment(head, names)
}

// tierDenyComment names the ClusterNetworkPolicies with Deny rules in tier t of a group, in precedence order:
// "egress Admin deny NAME…", "audit " first when the drop is audited.
func tierDenyComment(g *ir.Group, t ir.Tier, audit bool) string {
	head := g.Direction.String() + " " + t.String() + " deny"
	if audit {
		head = "audit " + head
	}
	return namesComment(head, clusterPolicyNames(tierRules(g, t), ir.Deny))
}

// defaultAllowComment names the ClusterNetworkPolicies of a group that no NetworkPolicy isolates, Admin tier
// first: what none of their rules decides is allowed.
func defaultAllowComment(g *ir.Group) string {
	names := clusterPolicyNames(g.Admin)
	for _, n := range clusterPolicyNames(g.Baseline) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return namesComment(g.Direction.String()+" default allow", names)
}

// clusterPolicyNames lists the policies of rules, each once, in rule order; with only, just those with a rule
// of one of those actions.
func clusterPolicyNames(rules []ir.ClusterRule, only ...ir.Action) []string {
	var out []string
	for _, r := range rules {
		if (len(only) > 0 && !slices.Contains(only, r.Action)) || slices.Contains(out, r.Policy) {
			continue
		}
		out = append(out, r.Policy)
	}
	return out
}

// namesComment writes head and then every name that fits the kernel's comment limit, in order, then "+N more"
// for the ones left out (room for that suffix is always kept). When not one name fits whole, the first is cut
// with "…".
func namesComment(head string, names []string) string {
	var b strings.Builder
	b.WriteString(head)
	reserve := len(moreText(len(names)))
	skipped := 0
	for _, n := range names {
		if b.Len()+1+len(n)+reserve <= maxComment {
			b.WriteString(" " + n)
		} else {
			skipped++
		}
	}
	if skipped > 0 && skipped == len(names) {
		room := maxComment - b.Len() - 1 - reserve - len("…")
		b.WriteString(" " + names[0][:room] + "…")
		skipped--
	}
	b.WriteString(moreText(skipped))
	return b.String()
}

func moreText(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" +%d more", n)
}

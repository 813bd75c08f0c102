package fuzz

import (
	"regexp"
	"slices"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/nft"
)

// Bounds of the chains of one group, derived from compiler/group.go and compiler/tiers.go (docs/ruleset.md,
// "ClusterNetworkPolicy tiers"). A lookup goes to a non-empty set, and a chain looks each set up once, so the
// lookups of a part are bounded by the set shapes it may emit, per address family (IPv4 and IPv6):
//
//   - NetworkPolicy: -a, -n, -ap, -np: 8 lookups, then log and drop; 10 rules for a chain without tier lookups
//     (the bound before tiers was written as 9, forgetting the log rule).
//   - Admin tier followed by more (NetworkPolicy isolates the members, or a Baseline rule selects them): Deny and
//     Accept in the four shapes, 16 lookups, and the pass conflicts in the two ported shapes, 4 more.
//   - A folded tier (Baseline always; Admin when only the default allow follows): Deny in the four shapes and
//     Accept in the two ported ones (only the ported points a portless Deny would catch): 12 lookups.
//
// The group chain is the Admin lookups, then the rest: the NetworkPolicy part, or the Baseline lookups and the
// default allow. With pass conflicts the rest moves to the -pass chain, and the group chain ends in a goto to
// it after its 20 lookups: 21 rules. Without, the longest group chain is 16 Admin + 12 Baseline lookups + the
// default allow = 29 (against 16 + 8 + log + drop = 26 for NetworkPolicy, 12 + 1 for a folded Admin tier).
// A -pass chain holds at most 12 + 1. The deny chains (-ad, -bd) log and drop: 2 rules.
const (
	maxNetworkPolicyLookups = 8
	maxAdminLookups         = 20
	maxAdminPassLookups     = 4
	maxFoldedLookups        = 12
	maxChainRules           = 16 + maxFoldedLookups + 1
	maxPassChainRules       = maxAdminLookups + 1 // a group chain with pass conflicts
	maxDenyChainRules       = 2
)

var (
	// groupSet is the name of a group's set: the group chain, the tier and action (none for NetworkPolicy),
	// the family and the shape.
	groupSet = regexp.MustCompile(`^(?:ing|egr)-[0-9a-f]{16}(?:-(adm|bas)-(deny|accept|pass))?-v[46]-(a|n|ap|np)$`)
	// groupChain is the name of a group's chain: its own, a tier's deny chain, or the rest after Admin.
	groupChain = regexp.MustCompile(`^(?:ing|egr)-[0-9a-f]{16}(-ad|-bd|-pass)?$`)
	fixedSets  = []string{compiler.IngressV4Map, compiler.IngressV6Map, compiler.EgressV4Map, compiler.EgressV6Map,
		compiler.SelfV4Set, compiler.SelfV6Set}
	// tierShapes are the shapes each tier and action may emit; Baseline Pass points are never emitted.
	tierShapes = map[string][]string{
		"adm-deny": {"a", "n", "ap", "np"}, "adm-accept": {"a", "n", "ap", "np"}, "adm-pass": {"ap", "np"},
		"bas-deny": {"a", "n", "ap", "np"}, "bas-accept": {"ap", "np"},
	}
)

// checkTierSet checks a set's name and key against what the compiler emits: a fixed set, or a group's set whose
// key fits its shape (address alone for -a and -n, address . protocol . port for -ap and -np; intervals for -n and
// -np), with a tier and action only in a shape that tier and action may have.
func checkTierSet(t *testing.T, s *nft.Set) {
	t.Helper()
	if slices.Contains(fixedSets, s.Name) {
		return
	}
	m := groupSet.FindStringSubmatch(s.Name)
	if m == nil {
		t.Fatalf("set %s: not a name the compiler gives", s.Name)
	}
	shape := m[3]
	ported, interval := len(shape) == 2, shape[0] == 'n'
	if (len(s.Key) == 3) != ported || s.Interval != interval || s.Map {
		t.Fatalf("set %s: key %v, interval %v, map %v do not fit its shape", s.Name, s.Key, s.Interval, s.Map)
	}
	if m[1] != "" && !slices.Contains(tierShapes[m[1]+"-"+m[2]], shape) {
		t.Fatalf("set %s: the %s %s sets have no shape %s", s.Name, m[1], m[2], shape)
	}
}

// checkChainBounds checks a chain that is not a base chain against the bounds above.
func checkChainBounds(t *testing.T, ch *nft.Chain) {
	t.Helper()
	m := groupChain.FindStringSubmatch(ch.Name)
	if m == nil {
		t.Fatalf("chain %s: not a name the compiler gives", ch.Name)
	}
	var np, admin, pass, base int
	seen := map[string]bool{}
	for _, r := range ch.Rules {
		if r.Match != nft.Lookup {
			continue
		}
		if seen[r.Set] {
			t.Fatalf("chain %s: set %s looked up twice", ch.Name, r.Set)
		}
		seen[r.Set] = true
		sm := groupSet.FindStringSubmatch(r.Set)
		switch {
		case sm == nil:
			t.Fatalf("chain %s: looks up %s, not a group's set", ch.Name, r.Set)
		case sm[1] == "adm" && sm[2] == "pass":
			pass++
			admin++
		case sm[1] == "adm":
			admin++
		case sm[1] == "bas":
			base++
		default:
			np++
		}
	}
	limit := maxChainRules
	switch {
	case m[1] == "-ad" || m[1] == "-bd":
		limit = maxDenyChainRules
	case m[1] == "-pass":
		limit = maxFoldedLookups + 1
		if admin > 0 {
			t.Fatalf("chain %s: %d Admin lookups after the Admin tier", ch.Name, admin)
		}
	case pass > 0:
		limit = maxPassChainRules
	case admin == 0 && base == 0:
		limit = maxNetworkPolicyLookups + 2
	}
	if np > maxNetworkPolicyLookups || admin > maxAdminLookups || pass > maxAdminPassLookups || base > maxFoldedLookups {
		t.Fatalf("chain %s: %d NetworkPolicy, %d Admin (%d pass), %d Baseline lookups; at most %d, %d (%d), %d",
			ch.Name, np, admin, pass, base, maxNetworkPolicyLookups, maxAdminLookups, maxAdminPassLookups, maxFoldedLookups)
	}
	if len(ch.Rules) > limit {
		t.Fatalf("chain %s: %d rules, more than %d", ch.Name, len(ch.Rules), limit)
	}
}

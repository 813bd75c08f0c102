package plugin

import (
	"fmt"
	"strings"

	"github.com/nftpolicy/nftpolicy/nft"
)

// driftRule shows a rule as nft lists it; a rule nftpolicy does not write is shown as it was listed.
func driftRule(r nft.Rule) string {
	if r.Match == nft.Unknown {
		return r.Comment + "   (not a rule nftpolicy writes)"
	}
	return r.String()
}

// driftHook shows a base chain's declaration as nft lists it ("" for a regular chain).
func driftHook(h *nft.Hook) string {
	switch {
	case h == nil:
		return ""
	case strings.Contains(h.Name, " "): // a declaration the listing could not map: kept whole
		return h.Name
	}
	prio := "filter"
	if h.Priority > 0 {
		prio = fmt.Sprintf("filter + %d", h.Priority)
	} else if h.Priority < 0 {
		prio = fmt.Sprintf("filter - %d", -h.Priority)
	}
	return fmt.Sprintf("type filter hook %s priority %s; policy accept;", h.Name, prio)
}

func driftRules(mark string, c *nft.Chain) []string {
	var out []string
	if h := driftHook(c.Hook); h != "" {
		out = append(out, mark+" "+h)
	}
	for _, r := range c.Rules {
		out = append(out, mark+" "+driftRule(r))
	}
	return out
}

// driftContext is how many common rules are shown around a change, as diff -u does.
const driftContext = 2

// driftRuleDiff is a line diff of two rule lists (longest common subsequence): common rules near a change are
// shown with two spaces for context, farther ones elided.
func driftRuleDiff(got, want []nft.Rule) []string {
	n, m := len(got), len(want)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if got[i].Equal(want[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var lines []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && got[i].Equal(want[j]):
			lines = append(lines, "  "+driftRule(got[i]))
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, "- "+driftRule(got[i]))
			i++
		default:
			lines = append(lines, "+ "+driftRule(want[j]))
			j++
		}
	}
	return driftElide(lines)
}

// driftElide replaces runs of context lines farther than driftContext from a change by one "..." line.
func driftElide(lines []string) []string {
	near := make([]bool, len(lines))
	for k, l := range lines {
		if !strings.HasPrefix(l, "  ") {
			for d := max(0, k-driftContext); d <= min(len(lines)-1, k+driftContext); d++ {
				near[d] = true
			}
		}
	}
	var out []string
	for k := 0; k < len(lines); {
		if near[k] {
			out = append(out, lines[k])
			k++
			continue
		}
		skip := 0
		for ; k < len(lines) && !near[k]; k++ {
			skip++
		}
		out = append(out, fmt.Sprintf("  ... %s", driftPlural(skip, "rule", "rules")))
	}
	return out
}

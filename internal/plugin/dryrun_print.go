package plugin

import (
	"bytes"
	"fmt"
	"strings"
	"text/tabwriter"
)

// writeDryRun prints the report as text, listing at most limit items at each place (0: all).
func writeDryRun(buf *bytes.Buffer, r *DryRunReport, limit int) {
	acts := make([]string, len(r.Policies))
	for i, a := range r.Policies {
		acts[i] = a.String()
	}
	fmt.Fprintf(buf, "policies: %s\n\n", strings.Join(acts, " · "))

	c := r.Connectivity
	fmt.Fprintf(buf, "connectivity: %s lose access, %s gain access\n", plural(c.LostProbes, "probe"), plural(c.GainedProbes, "probe"))
	for _, sec := range []struct {
		title  string
		probes int
		groups []probeGroup
	}{{"lose access (allow → deny)", c.LostProbes, c.Lost}, {"gain access (deny → allow)", c.GainedProbes, c.Gained}} {
		if len(sec.groups) == 0 {
			continue
		}
		fmt.Fprintf(buf, "%s: %s in %s\n", sec.title, plural(sec.probes, "probe"), plural(len(sec.groups), "group"))
		tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  PROBES\tCONNECTIONS\tWHY")
		shown, more := bounded(sec.groups, limit)
		for _, g := range shown {
			peers, morePeers := bounded(g.Peers, limit)
			if morePeers > 0 {
				peers = append(peers, fmt.Sprintf("... and %d more", morePeers))
			}
			whys := make([]string, len(g.Causes))
			for i, c := range g.Causes {
				whys[i] = c.String()
			}
			fmt.Fprintf(tw, "  %d\t%s\t%s\n", g.Count, summary(g, peers), strings.Join(whys, "; "))
		}
		tw.Flush()
		if more > 0 {
			fmt.Fprintf(buf, "  ... and %d more groups (-o json lists them all)\n", more)
		}
	}

	fmt.Fprintf(buf, "\nnftables: %s change, %d unchanged\n", plural(len(r.Nodes), "node"), r.UnchangedNodes)
	for _, n := range r.Nodes {
		elemAdd, elemDel := 0, 0
		for _, s := range [][]setChange{n.Sets.Added, n.Sets.Removed, n.Sets.Changed} {
			for _, sc := range s {
				elemAdd += len(sc.ElementsAdded)
				elemDel += len(sc.ElementsRemoved)
			}
		}
		fmt.Fprintf(buf, "%s: chains +%d -%d ~%d · sets +%d -%d ~%d · elements +%d -%d\n", n.Node,
			len(n.Chains.Added), len(n.Chains.Removed), len(n.Chains.Rewritten),
			len(n.Sets.Added), len(n.Sets.Removed), len(n.Sets.Changed), elemAdd, elemDel)
		for _, ch := range []struct {
			mark string
			cs   []chainChange
		}{{"+", n.Chains.Added}, {"-", n.Chains.Removed}, {"~", n.Chains.Rewritten}} {
			for _, c := range ch.cs {
				fmt.Fprintf(buf, "  %s chain %s", ch.mark, c.Name)
				if c.Comment != "" {
					fmt.Fprintf(buf, " (%s)", c.Comment)
				}
				fmt.Fprintf(buf, ": rules +%d -%d\n", len(c.RulesAdded), len(c.RulesRemoved))
				writeLines(buf, "+ ", c.RulesAdded, limit)
				writeLines(buf, "- ", c.RulesRemoved, limit)
			}
		}
		for _, sc := range []struct {
			mark string
			ss   []setChange
		}{{"+", n.Sets.Added}, {"-", n.Sets.Removed}, {"~", n.Sets.Changed}} {
			for _, s := range sc.ss {
				fmt.Fprintf(buf, "  %s set %s: elements +%d -%d\n", sc.mark, s.Name, len(s.ElementsAdded), len(s.ElementsRemoved))
				writeLines(buf, "+ ", s.ElementsAdded, limit)
				writeLines(buf, "- ", s.ElementsRemoved, limit)
			}
		}
	}
}

// writeLines writes at most limit of lines (0: all), indented, then how many were left out.
func writeLines(buf *bytes.Buffer, mark string, lines []string, limit int) {
	shown, more := bounded(lines, limit)
	for _, l := range shown {
		fmt.Fprintf(buf, "      %s%s\n", mark, l)
	}
	if more > 0 {
		fmt.Fprintf(buf, "      ... and %d more\n", more)
	}
}

// bounded returns the first limit items (all when limit is 0) and how many it left out.
func bounded[T any](items []T, limit int) ([]T, int) {
	if limit == 0 || len(items) <= limit {
		return items, 0
	}
	return items[:limit:limit], len(items) - limit
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

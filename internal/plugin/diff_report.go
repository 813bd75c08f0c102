package plugin

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/listing"
)

// driftInput is what diff compares: the node's table as listed in a file, and the desired one.
type driftInput struct {
	node, file string
	got        *listing.Result
	want       *nft.Table
}

// driftEntry is one object that differs: a header line and the lines below it.
type driftEntry struct {
	kind, name string // "table", "set", "map", "chain"
	head       string
	body       []string
}

// writeDrift writes the report of diff and reports whether the tables differ. What differs comes from nft.Diff,
// the plan the agent would apply; the report shows it as objects with -/+ lines.
func writeDrift(buf *bytes.Buffer, in driftInput) bool {
	if in.got.Table == nil {
		fmt.Fprintf(buf, "drift: %s holds no table inet %s: it is missing on node %s\n"+
			"(\"kubectl nftpolicy render --node %s\" prints the table the node should have)\n",
			in.file, nft.TableName, in.node, in.node)
		return true
	}
	entries := driftEntries(in.got.Table, in.want)
	entries = attachNotes(entries, in.got.Notes)
	if len(entries) == 0 {
		fmt.Fprintf(buf, "no drift: %s holds the table inet %s node %s should have (%s, %s)\n", in.file,
			nft.TableName, in.node, driftPlural(len(in.want.Sets), "set or map", "sets and maps"),
			driftPlural(len(in.want.Chains), "chain", "chains"))
		return false
	}
	verb := "differ"
	if len(entries) == 1 {
		verb = "differs"
	}
	fmt.Fprintf(buf, "drift: %s of table inet %s in %s %s from what node %s should have\n",
		driftPlural(len(entries), "object", "objects"), nft.TableName, in.file, verb, in.node)
	fmt.Fprintf(buf, "(-: only on the node, +: only desired)\n")
	for _, e := range entries {
		fmt.Fprintf(buf, "\n%s %s: %s\n", e.kind, e.name, e.head)
		for _, l := range e.body {
			fmt.Fprintf(buf, "  %s\n", l)
		}
	}
	return true
}

func driftPlural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// driftEntries lists the sets, maps and chains that differ, each kind sorted by name.
func driftEntries(got, want *nft.Table) []driftEntry {
	p := nft.Diff(got, want)
	gotSets := driftIndex(got.Sets, func(s *nft.Set) string { return s.Name })
	wantSets := driftIndex(want.Sets, func(s *nft.Set) string { return s.Name })
	gotChains := driftIndex(got.Chains, func(c *nft.Chain) string { return c.Name })
	wantChains := driftIndex(want.Chains, func(c *nft.Chain) string { return c.Name })
	var out []driftEntry

	setNames := driftNames(p.DelSets, driftSetNames(p.AddSets), driftKeys(p.DelElements), driftKeys(p.AddElements))
	for _, name := range setNames {
		g, w := gotSets[name], wantSets[name]
		s := w
		if s == nil {
			s = g
		}
		e := driftEntry{kind: driftSetKind(s), name: name}
		switch {
		case w == nil:
			e.head = "only on the node (" + driftSetDef(g) + ")"
			e.body = driftElements("-", g, g.Elements)
		case g == nil:
			e.head = "missing on the node (" + driftSetDef(w) + ")"
			e.body = driftElements("+", w, w.Elements)
		case slices.Contains(p.DelSets, name):
			e.head = "definition differs: on the node " + driftSetDef(g) + ", desired " + driftSetDef(w)
		default:
			del, add := p.DelElements[name], p.AddElements[name]
			var what []string
			if len(add) > 0 {
				what = append(what, driftPlural(len(add), "element", "elements")+" missing on the node")
			}
			if len(del) > 0 {
				what = append(what, driftPlural(len(del), "element", "elements")+" only on the node")
			}
			e.head = strings.Join(what, ", ")
			e.body = append(driftElements("-", g, del), driftElements("+", w, add)...)
		}
		out = append(out, e)
	}

	chainNames := driftNames(p.DelChains, driftChainNames(p.AddChains), driftChainNames(p.WriteChains))
	for _, name := range chainNames {
		g, w := gotChains[name], wantChains[name]
		e := driftEntry{kind: "chain", name: name}
		switch {
		case w == nil:
			e.head = "only on the node"
			e.body = driftRules("-", g)
		case g == nil:
			e.head = "missing on the node"
			e.body = driftRules("+", w)
		case driftHook(g.Hook) != driftHook(w.Hook):
			e.head = fmt.Sprintf("hook differs: on the node %q, desired %q", driftHook(g.Hook), driftHook(w.Hook))
			if !slices.EqualFunc(g.Rules, w.Rules, nft.Rule.Equal) {
				e.body = driftRuleDiff(g.Rules, w.Rules)
			}
		case !slices.EqualFunc(g.Rules, w.Rules, nft.Rule.Equal):
			e.head = "rules differ"
			e.body = driftRuleDiff(g.Rules, w.Rules)
		default:
			continue // rewritten only because a set it uses is replaced: the set's entry says why
		}
		out = append(out, e)
	}
	return out
}

// attachNotes puts each note of the listing under the entry of its object, adding entries for objects that
// differ only by their notes; table notes come first.
func attachNotes(entries []driftEntry, notes []listing.Note) []driftEntry {
	for _, n := range notes {
		kind, name, _ := strings.Cut(n.Object, " ")
		if kind == "table" {
			name = "inet " + nft.TableName
		}
		i := slices.IndexFunc(entries, func(e driftEntry) bool { return e.kind == kind && e.name == name })
		if i < 0 {
			entries = append(entries, driftEntry{kind: kind, name: name, head: "holds what nftpolicy never writes"})
			i = len(entries) - 1
		}
		entries[i].body = append(entries[i].body, fmt.Sprintf("- %s   (line %d: nftpolicy never writes this)", n.Text, n.Line))
	}
	order := map[string]int{"table": 0, "set": 1, "map": 1, "chain": 2}
	slices.SortStableFunc(entries, func(a, b driftEntry) int {
		if c := cmp.Compare(order[a.kind], order[b.kind]); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return entries
}

func driftSetKind(s *nft.Set) string {
	if s.Map {
		return "map"
	}
	return "set"
}

// driftSetDef describes a set's definition as nft lists it.
func driftSetDef(s *nft.Set) string {
	if s.Key == nil {
		return "not as nftpolicy writes sets"
	}
	key := make([]string, len(s.Key))
	for i, k := range s.Key {
		key[i] = k.String()
	}
	def := "type " + strings.Join(key, " . ")
	if s.Map {
		def += " : verdict"
	}
	if s.Interval {
		def += ", flags interval"
	}
	return def
}

func driftElements(mark string, s *nft.Set, es []nft.Element) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = mark + " " + nft.ElementText(s, e)
	}
	return out
}

func driftIndex[T any](xs []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(xs))
	for _, x := range xs {
		m[key(x)] = x
	}
	return m
}

func driftSetNames(ss []*nft.Set) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

func driftChainNames(cs []*nft.Chain) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func driftKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// driftNames is the sorted union of names.
func driftNames(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

package view

import (
	"slices"
	"strconv"
	"strings"
)

// portRow is one line of the per-port table: the verdict on each port shared by every pair from a source in
// from to a destination in to.
type portRow struct {
	cells    []cell
	from, to []int // indexes of model.eps, sorted
}

// portLines is the per-port table of the pairs the matrix cannot spell out (shown as ◐, ✗ or ?, and "a" unless
// every probe of the pair passed only because of audit mode), one line per set of verdicts and the pairs that
// have it, unless the matrix already tells all: one port in one family.
func (g *grid) portLines(o Options, width int) []string {
	m := g.m
	var pairs []pair
	keys := map[probeKey]bool{}
	var shown [numCellKinds]bool
	for r, ri := range m.rows {
		for c, ci := range m.cols {
			k, s := g.cells[r][c].kind, m.pairs[pair{ri, ci}]
			switch {
			case k == cPartial, k == cMismatch, k == cError, k == cAudit && !s.all.allAudited():
				shown[k] = true
				pairs = append(pairs, pair{ri, ci})
				for key := range s.keys {
					keys[key] = true
				}
			}
		}
	}
	if len(pairs) == 0 || (len(m.keys) == 1 && !m.dualStack() && !shown[cPartial] && !shown[cAudit]) {
		return nil
	}
	cols := make([]probeKey, 0, len(keys))
	for k := range keys {
		cols = append(cols, k)
	}
	slices.SortFunc(cols, probeKey.compare)
	var glyphs []string
	for _, k := range []cellKind{cPartial, cAudit, cMismatch, cError} {
		if shown[k] {
			// "a" in quotes: a bare letter would read as a word.
			glyphs = append(glyphs, map[cellKind]string{cPartial: glyphPartial, cAudit: `"` + glyphAudit + `"`,
				cMismatch: glyphMismatch, cError: glyphError}[k])
		}
	}
	title := "by port, for the pairs shown as " + orList(glyphs) + ":"
	return append([]string{o.paint(styBold, title)}, g.drawPortTable(o, width, cols, g.portRows(pairs, cols))...)
}

// orList is "a", "a or b", "a, b or c".
func orList(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// portRows groups the pairs: first the destinations of a source that share its verdicts, then the sources that
// share verdicts and destinations. Rows are in matrix order of their first pair.
func (g *grid) portRows(pairs []pair, cols []probeKey) []portRow {
	var bySource []portRow
	at := map[string]int{}
	for _, p := range pairs {
		s := g.m.pairs[p]
		r := portRow{from: []int{p.from}, to: []int{p.to}}
		sig := strconv.Itoa(p.from)
		for _, k := range cols {
			cl := keyCell(s.keys[k])
			r.cells = append(r.cells, cl)
			sig += "|" + cl.text
		}
		if i, ok := at[sig]; ok {
			bySource[i].to = append(bySource[i].to, p.to)
			continue
		}
		at[sig] = len(bySource)
		bySource = append(bySource, r)
	}
	var rows []portRow
	at = map[string]int{}
	for _, r := range bySource {
		var sig strings.Builder
		for _, cl := range r.cells {
			sig.WriteString(cl.text + "|")
		}
		for _, t := range r.to {
			sig.WriteString(strconv.Itoa(t) + ",")
		}
		if i, ok := at[sig.String()]; ok {
			rows[i].from = append(rows[i].from, r.from...)
			continue
		}
		at[sig.String()] = len(rows)
		rows = append(rows, r)
	}
	return rows
}

func (g *grid) drawPortTable(o Options, width int, cols []probeKey, rows []portRow) []string {
	const gap = 2
	colW := make([]int, len(cols))
	for c, k := range cols {
		colW[c] = textWidth(k.String())
	}
	seen := map[string]bool{}
	for _, r := range rows {
		for c, cl := range r.cells {
			colW[c] = max(colW[c], textWidth(cl.text))
			seen[cl.text] = true
		}
	}
	var head strings.Builder
	for c, k := range cols {
		left, right := center(k.String(), colW[c])
		head.WriteString(spaces(gap+left) + o.paint(styBold, k.String()) + spaces(right))
	}
	head.WriteString(spaces(gap) + o.paint(styDim, "from → to"))
	out := []string{head.String()}
	for _, r := range rows {
		var b strings.Builder
		for c, cl := range r.cells {
			left, right := center(cl.text, colW[c])
			b.WriteString(spaces(gap+left) + cl.paint(o) + spaces(right))
		}
		b.WriteString(spaces(gap))
		indent := spaces(textWidth(b.String()) + 2)
		from, to := g.endpointNames(r.from), g.endpointNames(r.to)
		var pieces []string
		for i, f := range from {
			if i < len(from)-1 {
				pieces = append(pieces, f+", ")
			} else {
				pieces = append(pieces, f+" → ")
			}
		}
		for i, t := range to {
			if i < len(to)-1 {
				t += ", "
			}
			pieces = append(pieces, t)
		}
		out = append(out, wrapPieces(b.String(), indent, pieces, width)...)
	}
	return append(out, portKey(o, seen, width)...)
}

// endpointNames are the full names of endpoints or, when the matrix numbers them, their numbers run together as
// ranges ("3-6").
func (g *grid) endpointNames(eps []int) []string {
	eps = slices.Clone(eps)
	slices.Sort(eps)
	if g.mode >= byNumber {
		nums := make([]int, len(eps))
		for i, e := range eps {
			nums[i] = g.m.eps[e].num
		}
		return numberRanges(nums)
	}
	names := make([]string, len(eps))
	for i, e := range eps {
		names[i] = g.m.eps[e].name
	}
	return names
}

// numberRanges writes sorted numbers as "1", "3-6", "8": a run of three or more as a range.
func numberRanges(nums []int) []string {
	var out []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if j-i >= 2 {
			out = append(out, strconv.Itoa(nums[i])+"-"+strconv.Itoa(nums[j]))
		} else {
			for k := i; k <= j; k++ {
				out = append(out, strconv.Itoa(nums[k]))
			}
		}
		i = j + 1
	}
	return out
}

// portKey explains the per-port glyphs the matrix key does not.
func portKey(o Options, seen map[string]bool, width int) []string {
	var items []string
	for _, f := range []string{"v4", "v6"} {
		if seen[f] {
			items = append(items, o.paint(styPartial, f)+" allowed over IPv"+f[1:]+" only")
		}
	}
	if seen[glyphPartial] {
		items = append(items, o.paint(styPartial, glyphPartial)+" repeated probes disagree")
	}
	if seen[glyphNone] {
		items = append(items, o.paint(styDim, glyphNone)+" port not probed")
	}
	if len(items) == 0 {
		return nil
	}
	return wrap("", "", items, "   ", width)
}

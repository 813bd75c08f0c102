package view

import (
	"strconv"
	"strings"
)

// lines draws the matrix: header line(s), then one line per row.
func (g *grid) lines(o Options) []string {
	out := g.headerLines(o)
	for r, label := range g.labels {
		var b strings.Builder
		b.WriteString(padRight(label, g.labelW))
		for c, cl := range g.cells[r] {
			left, right := center(cl.text, g.colW[c])
			b.WriteString(spaces(g.gapBefore(c) + left))
			b.WriteString(cl.paint(o))
			b.WriteString(spaces(right))
		}
		out = append(out, b.String())
	}
	return out
}

// headerLines are the column headers: one line, or for stacked numbers one line per digit, the corner on the last.
func (g *grid) headerLines(o Options) []string {
	heads := [][]string{g.headers}
	if g.mode == byStackedNumber {
		heads = stackDigits(g.headers)
	}
	var out []string
	for i, hs := range heads {
		var b strings.Builder
		cornerText := ""
		if i == len(heads)-1 {
			cornerText = corner
		}
		b.WriteString(o.paint(styDim, cornerText) + spaces(g.labelW-textWidth(cornerText)))
		for c, h := range hs {
			left, right := center(h, g.colW[c])
			b.WriteString(spaces(g.gapBefore(c)+left) + o.paint(styBold, strings.TrimSpace(h)))
			b.WriteString(spaces(right + textWidth(h) - textWidth(strings.TrimSpace(h))))
		}
		out = append(out, b.String())
	}
	return out
}

// stackDigits writes numbers top to bottom, right-aligned: "9", "10" become lines " 1" and "90".
func stackDigits(nums []string) [][]string {
	digits := 0
	for _, n := range nums {
		digits = max(digits, len(n))
	}
	out := make([][]string, digits)
	for _, n := range nums {
		n = spaces(digits-len(n)) + n
		for i := range digits {
			out[i] = append(out[i], n[i:i+1])
		}
	}
	return out
}

// keyLines explains the glyphs the matrix uses, in a fixed order.
func (g *grid) keyLines(o Options, width int) []string {
	var seen [numCellKinds]bool
	var example cell
	for _, row := range g.cells {
		for _, cl := range row {
			seen[cl.kind] = true
			if cl.kind == cPorts && len(cl.keys) > len(example.keys) {
				example = cl
			}
		}
	}
	var items []string
	add := func(k cellKind, glyph, text string) {
		if seen[k] {
			items = append(items, o.paint(kindStyle[k], glyph)+" "+text)
		}
	}
	add(cAllow, glyphAllow, "all allowed")
	add(cDeny, glyphDeny, "all denied")
	if seen[cPorts] {
		names := make([]string, len(example.keys))
		for i, k := range example.keys {
			names[i] = k.String()
		}
		add(cPorts, example.text, "only "+strings.Join(names, ", ")+" allowed")
	}
	add(cPartial, glyphPartial, "partly allowed")
	add(cAudit, glyphAudit, "some or all pass only because of audit mode")
	add(cMismatch, glyphMismatch, "not as expected")
	add(cError, glyphError, "probe failed")
	add(cNone, glyphNone, "not probed")
	return wrap("", "", items, "   ", width)
}

// legendLines name in full what the matrix shows only abbreviated: columns that are no row (or whose row label
// is cut), and cut row labels.
func (g *grid) legendLines(width int) []string {
	full := map[int]bool{} // endpoints whose name a row label shows in full
	short := map[int]string{}
	for i, ri := range g.m.rows {
		if !g.cut[i] {
			full[ri] = true
		} else {
			short[ri] = strconv.Itoa(g.m.eps[ri].num)
		}
	}
	for c, ci := range g.m.cols {
		if g.headers[c] != g.m.eps[ci].name && !full[ci] {
			short[ci] = g.headers[c]
		}
	}
	var items []string
	for i, e := range g.m.eps { // in endpoint order
		if s, ok := short[i]; ok {
			items = append(items, s+" = "+e.name)
		}
	}
	if len(items) == 0 {
		return nil
	}
	return wrap("legend: ", "        ", items, ", ", width)
}

package view

import (
	"fmt"
	"strconv"
)

// headerMode is how columns are named.
type headerMode uint8

const (
	byName          headerMode = iota // "demo/frontend"
	byShortName                       // "frontend": namespace dropped, when that leaves the names distinct
	byNumber                          // "12": the row numbers, rows read "12 demo/frontend"
	byStackedNumber                   // "1" over "2": one cell a column
)

// corner heads the row labels.
const corner = "from ↓ to →"

// grid is the matrix laid out: labels, headers, cells and widths.
type grid struct {
	m       *model
	mode    headerMode
	compact bool     // partly allowed cells as "◐", never port lists
	headers []string // per m.cols
	labels  []string // per m.rows
	cut     []bool   // per m.rows: the label was shortened
	cells   [][]cell // [row][col]
	colW    []int
	labelW  int
	gap     int // blanks before each column
}

// Gaps before a column: names and numbers, stacked numbers, stacked numbers packed tight ("✓✓··").
const (
	wideGap    = 2
	stackedGap = 1
	denseGap   = 0
)

func newGrid(m *model, mode headerMode, compact bool) *grid {
	g := &grid{m: m, mode: mode, compact: compact, gap: wideGap}
	if mode == byStackedNumber {
		g.gap = stackedGap
	}
	digits := len(strconv.Itoa(len(m.eps)))
	for _, ri := range m.rows {
		e := m.eps[ri]
		label := e.name
		if mode >= byNumber {
			label = fmt.Sprintf("%*d %s", digits, e.num, e.name)
		}
		g.labels = append(g.labels, label)
		g.cut = append(g.cut, false)
	}
	for _, ci := range m.cols {
		e := m.eps[ci]
		h := e.name
		switch mode {
		case byShortName:
			h = e.short()
		case byNumber, byStackedNumber:
			h = strconv.Itoa(e.num)
		}
		g.headers = append(g.headers, h)
	}
	g.colW = make([]int, len(m.cols))
	for c, h := range g.headers {
		g.colW[c] = textWidth(h)
		if mode == byStackedNumber {
			g.colW[c] = 1
		}
	}
	for _, ri := range m.rows {
		var row []cell
		for c, ci := range m.cols {
			cl := pairCell(m.pairs[pair{ri, ci}], compact)
			row = append(row, cl)
			g.colW[c] = max(g.colW[c], textWidth(cl.text))
		}
		g.cells = append(g.cells, row)
	}
	g.fitLabels()
	return g
}

func (g *grid) fitLabels() {
	g.labelW = textWidth(corner)
	for _, l := range g.labels {
		g.labelW = max(g.labelW, textWidth(l))
	}
}

// width is the width of the matrix.
func (g *grid) width() int {
	w := g.labelW
	for c, cw := range g.colW {
		w += g.gapBefore(c) + cw
	}
	return w
}

// gapBefore is the number of blanks before column c: g.gap, and at least one after the row labels.
func (g *grid) gapBefore(c int) int {
	if c == 0 {
		return max(g.gap, 1)
	}
	return g.gap
}

// shortNamesDistinct tells whether dropping namespaces from the column headers leaves them distinct and changes
// any.
func (m *model) shortNamesDistinct() bool {
	seen, changed := map[string]bool{}, false
	for _, ci := range m.cols {
		s := m.eps[ci].short()
		if seen[s] {
			return false
		}
		seen[s], changed = true, changed || s != m.eps[ci].name
	}
	return changed
}

// layouts are tried in order; the first that fits the width is drawn. Names over numbers, then port lists over "◐".
var layouts = []struct {
	mode    headerMode
	compact bool
}{
	{byName, false}, {byShortName, false}, {byName, true}, {byShortName, true},
	{byNumber, false}, {byNumber, true}, {byStackedNumber, true},
}

// minLabel is the narrowest a row label is cut to before the columns are packed tight.
const minLabel = 28

// chooseGrid lays the matrix out to fit width: see layouts. When even stacked numbers do not fit, row labels are
// cut in the middle (the legend names them in full) to no less than minLabel, else the columns are packed without
// gaps, and the labels cut as far as needed.
func chooseGrid(m *model, width int) *grid {
	for _, l := range layouts {
		if l.mode == byShortName && !m.shortNamesDistinct() {
			continue
		}
		if g := newGrid(m, l.mode, l.compact); g.width() <= width {
			return g
		}
	}
	g := newGrid(m, byStackedNumber, true)
	if avail := width - g.columnsWidth(); avail >= minLabel {
		g.shortenLabels(avail)
		return g
	}
	g.gap = denseGap
	g.shortenLabels(width - g.columnsWidth())
	return g
}

// columnsWidth is the width of the matrix without its row labels.
func (g *grid) columnsWidth() int { return g.width() - g.labelW }

// shortenLabels cuts the names in row labels so that labels take at most w cells, keeping the row number.
func (g *grid) shortenLabels(w int) {
	w = max(w, textWidth(corner))
	for i, l := range g.labels {
		if textWidth(l) <= w {
			continue
		}
		e := g.m.eps[g.m.rows[i]]
		prefix := l[:len(l)-len(e.name)]
		g.labels[i] = prefix + truncateMiddle(e.name, w-textWidth(prefix))
		g.cut[i] = true
	}
	g.fitLabels()
}

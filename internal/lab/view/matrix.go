package view

import (
	"io"
)

// Matrix writes the connectivity matrix: one row per source, one column per destination (pods first, sorted, then
// externals), and under it the key of its glyphs, a legend of abbreviated names, the per-port table of the pairs
// shown as ◐, ✗ or ? (or "a" but not wholly audited), the mismatches and the probe errors. See the package doc
// for how it reads and how it fits o.Width. Empty input prints "no probes".
func Matrix(w io.Writer, results []Result, o Options) error {
	var p page
	if o.Title != "" {
		p.add(o.paint(styBold, oneLine(o.Title)), "")
	}
	if len(results) == 0 {
		p.add("no probes")
		_, err := io.WriteString(w, p.String())
		return err
	}
	m := newModel(results)
	width := o.width()
	g := chooseGrid(m, width)
	p.add(g.lines(o)...)
	p.section(append(g.keyLines(o, width), g.legendLines(width)...))
	p.section(g.portLines(o, width))
	p.section(m.mismatchLines(o))
	p.section(m.errorLines(o))
	_, err := io.WriteString(w, p.String())
	return err
}

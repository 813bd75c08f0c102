package main

import (
	"fmt"
	"io"
)

// Repro is a figure of this run against the same figure of an earlier results.json.
type Repro struct {
	Figure  Figure
	Earlier *FigureJSON // nil: the earlier run did not have it
	Within  bool        // the new median lies within the earlier [min, max]
}

// Compare looks up each figure of this run in the earlier results. It also returns how many earlier figures
// this run did not measure (a narrower -bench, or a renamed benchmark).
func Compare(figs []Figure, earlier *ResultsJSON) (repros []Repro, notInRun int) {
	type key struct{ bench, metric string }
	old := map[key]*FigureJSON{}
	for i := range earlier.Figures {
		e := &earlier.Figures[i]
		old[key{e.Benchmark, e.Metric}] = e
	}
	seen := map[key]bool{}
	for _, f := range figs {
		k := key{f.Benchmark, f.Metric}
		seen[k] = true
		r := Repro{Figure: f, Earlier: old[k]}
		if r.Earlier != nil {
			r.Within = float64(r.Earlier.Min) <= f.Median && f.Median <= float64(r.Earlier.Max)
		}
		repros = append(repros, r)
	}
	for k := range old {
		if !seen[k] {
			notInRun++
		}
	}
	return repros, notInRun
}

// WriteCheck prints the comparison as a table and a summary line; it returns how many figures were not
// reproduced.
func WriteCheck(w io.Writer, earlierPath string, repros []Repro, notInRun int) (outside int, err error) {
	rows := make([]Row, 0, len(repros))
	within, compared := 0, 0
	for _, r := range repros {
		row := Row{Benchmark: r.Figure.Benchmark, Metric: r.Figure.Metric, Value: formatFigure(r.Figure)}
		switch {
		case r.Earlier == nil:
			row.Target, row.Met = "—", "new"
		default:
			compared++
			row.Target = formatFigure(Figure{Median: float64(r.Earlier.Median), Min: float64(r.Earlier.Min), Max: float64(r.Earlier.Max)})
			if r.Within {
				within++
				row.Met = "yes"
			} else {
				outside++
				row.Met = "NO"
			}
		}
		rows = append(rows, row)
	}
	if _, err := fmt.Fprintf(w, "\nReproducibility against %s: is the new median within the earlier [min–max]?\n\n", earlierPath); err != nil {
		return 0, err
	}
	if err := writeTextWith(w, []string{"benchmark", "metric", "now [min–max]", "earlier [min–max]", "within?"}, rows); err != nil {
		return 0, err
	}
	_, err = fmt.Fprintf(w, "\nreproduced: %d of %d figures compared; %d new, %d earlier figures not in this run\n",
		within, compared, len(repros)-compared, notInRun)
	return outside, err
}

package main

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Row is one line of the table: a figure with the target it is checked against, if any, or a target no figure
// matched.
type Row struct {
	Benchmark, Metric, Value, Target, Met string
	Pattern                               bool // Benchmark is a target's regular expression (not measured)
}

var columns = []string{"benchmark", "metric", "value [min–max]", "target", "met?"}

// Rows lays out the figures in order, each once per target checking it (once when none does), then the targets
// that were not measured. checks must have been evaluated on figs.
func Rows(figs []Figure, checks []Check) []Row {
	var rows []Row
	for i := range figs {
		f := &figs[i]
		row := Row{Benchmark: f.Benchmark, Metric: f.Metric, Value: formatFigure(*f)}
		n := 0
		for _, c := range checks {
			if c.Figure == f {
				r := row
				r.Target, r.Met = c.Target.Cmp.Text, metWord(c.Status)
				rows = append(rows, r)
				n++
			}
		}
		if n == 0 {
			rows = append(rows, row)
		}
	}
	for _, c := range checks {
		if c.Status == NotMeasured {
			rows = append(rows, Row{Benchmark: c.Target.Bench, Metric: c.Target.Metric, Value: "—",
				Target: c.Target.Cmp.Text, Met: metWord(c.Status), Pattern: true})
		}
	}
	return rows
}

func metWord(s Status) string {
	switch s {
	case Met:
		return "yes"
	case Missed:
		return "NO"
	}
	return string(s)
}

func (r Row) cells() []string { return []string{r.Benchmark, r.Metric, r.Value, r.Target, r.Met} }

// WriteText prints the rows as aligned columns.
func WriteText(w io.Writer, rows []Row) error { return writeTextWith(w, columns, rows) }

func writeTextWith(w io.Writer, columns []string, rows []Row) error {
	widths := make([]int, len(columns))
	all := [][]string{columns}
	for _, r := range rows {
		all = append(all, r.cells())
	}
	for _, cells := range all {
		for i, c := range cells {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		var l strings.Builder
		for i, c := range cells {
			l.WriteString(c)
			if i < len(cells)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	line(columns)
	dashes := make([]string, len(columns))
	for i, w := range widths {
		dashes[i] = strings.Repeat("-", w)
	}
	line(dashes)
	for _, cells := range all[1:] {
		line(cells)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteMarkdown prints the rows as a Markdown table.
func WriteMarkdown(w io.Writer, rows []Row) error {
	var b strings.Builder
	fmt.Fprintf(&b, "| %s |\n", strings.Join(columns, " | "))
	b.WriteString("|---|---|--:|---|---|\n")
	for _, r := range rows {
		cells := r.cells()
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		if r.Pattern {
			cells[0] = "`" + cells[0] + "`"
		}
		if r.Met == "NO" {
			cells[4] = "**NO**"
		}
		fmt.Fprintf(&b, "| %s |\n", strings.Join(cells, " | "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

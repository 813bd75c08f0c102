package main

import (
	"fmt"
	"io"
	"strings"
)

// Report is everything results.md and results.json say.
type Report struct {
	Meta    Meta
	Source  string // the raw output the figures come from, as a path from the module root
	Link    string // the same, relative to results.md
	Figures []Figure
	Checks  []Check
	Skipped []Skip
}

// WriteResultsMarkdown writes results.md.
func WriteResultsMarkdown(w io.Writer, r Report) error {
	var b strings.Builder
	b.WriteString("# nftpolicy benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`go run ./test/bench/report`) from [%s](%s); `go run ./test/bench/report -input %s` renders it again. What the figures and targets mean: test/bench/report/doc.go.\n\n",
		r.Source, r.Link, r.Source)
	fmt.Fprintf(&b, "- Date: %s\n", r.Meta.dateText())
	fmt.Fprintf(&b, "- Command: `%s`\n", r.Meta.Command)
	fmt.Fprintf(&b, "- Machine: %s\n\n", r.Meta.machineText())
	if err := WriteMarkdown(&b, Rows(r.Figures, r.Checks)); err != nil {
		return err
	}
	met, total := Tally(r.Checks)
	fmt.Fprintf(&b, "\nTargets met: %d of %d.\n", met, total)
	for _, st := range []Status{Missed, NotMeasured} {
		first := true
		for _, c := range r.Checks {
			if c.Status != st {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s:\n\n", capitalize(string(st)))
				first = false
			}
			b.WriteString("- " + checkText(c) + "\n")
		}
	}
	if len(r.Skipped) > 0 {
		b.WriteString("\nSkipped:\n\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "- %s: %s\n", s.Name, s.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// checkText is a check on one line: what was measured against what, and the issue's words.
func checkText(c Check) string {
	if c.Figure == nil {
		return fmt.Sprintf("`%s` %s, target %s: %s", c.Target.Bench, c.Target.Metric, c.Target.Cmp.Text, c.Target.Issue)
	}
	return fmt.Sprintf("%s %s = %s, target %s: %s", c.Figure.Benchmark, c.Figure.Metric, formatFigure(*c.Figure),
		c.Target.Cmp.Text, c.Target.Issue)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

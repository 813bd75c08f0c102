package main

import (
	"fmt"
	"io"
	"strings"
)

// WriteSummary prints what a human reads after a run: the table, the targets met, the misses and the skips.
func WriteSummary(w io.Writer, r Report) error {
	var b strings.Builder
	if err := WriteText(&b, Rows(r.Figures, r.Checks)); err != nil {
		return err
	}
	met, total := Tally(r.Checks)
	fmt.Fprintf(&b, "\ntargets met: %d of %d\n", met, total)
	for _, c := range r.Checks {
		if c.Status != Met {
			fmt.Fprintf(&b, "  %s: %s\n", c.Status, strings.ReplaceAll(checkText(c), "`", ""))
		}
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped: %s: %s\n", s.Name, s.Reason)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

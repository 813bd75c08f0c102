package e2e

// Checks of the truth tables: the Reachability mutators, the printer, and
// one upstream table cross-checked against upstream's drawing of it.

import (
	"strings"
	"testing"
)

func TestReachability(t *testing.T) {
	r := NewReachability(true).
		ExpectPeer(Peer{}, Peer{Namespace: "x"}, false).
		Expect("y/a", "x/b", true).
		ExpectAllEgress("z/c", false).
		ExpectAllIngress("y/c", false).
		AllowLoopback()
	checks := []struct {
		from, to string
		want     bool
	}{
		{"y/b", "x/a", false},
		{"y/a", "x/b", true},
		{"x/a", "x/a", true},
		{"x/a", "y/a", true},
		{"z/c", "y/a", false},
		{"z/c", "z/c", true},
		{"x/a", "y/c", false},
	}
	for _, c := range checks {
		if got := r.Allowed(c.from, c.to); got != c.want {
			t.Errorf("%s -> %s = %v, want %v", c.from, c.to, got, c.want)
		}
	}

	observed := func(from, to string) bool {
		if from == "y/b" && to == "x/a" {
			return true // one wrong verdict
		}
		return r.Allowed(from, to)
	}
	diff := r.Diff(observed)
	if len(diff) != 1 || diff[0] != "y/b -> x/a: expected denied, observed allowed" {
		t.Errorf("Diff = %q", diff)
	}
	if d := r.Diff(r.Allowed); d != nil {
		t.Errorf("Diff against itself = %q", d)
	}
	table := r.Table(observed)
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("table has %d lines:\n%s", len(lines), table)
	}
	if !strings.HasPrefix(lines[5], "y/b") || strings.Fields(lines[5])[1] != ".*" {
		t.Errorf("mismatch not marked in row y/b:\n%s", table)
	}
	if strings.Count(table, "*") != 1 {
		t.Errorf("table marks %d mismatches, want 1:\n%s", strings.Count(table, "*"), table)
	}
	if c := r.Clone(); !c.Equal(r) || c.Expect("x/a", "y/a", false).Equal(r) {
		t.Errorf("Clone is not an independent copy")
	}
}

func TestReachabilityRejectsUnknownPods(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Expect on an unknown pod did not panic")
		}
	}()
	NewReachability(true).Expect("x/d", "x/a", false)
}

// compact renders a table the way upstream's comments draw them.
func compact(r *Reachability) string {
	var b strings.Builder
	for _, from := range AllPods() {
		for _, to := range AllPods() {
			b.WriteString(cell(r.Allowed(from, to)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestEgressClientSideTable cross-checks the transcription of "should
// support denying of egress traffic on the client side" against the
// "Expected results" table drawn in the upstream source's comment (with the
// loopback cells x/a, y/a, y/b -> themselves allowed, which upstream leaves
// unjudged).
func TestEgressClientSideTable(t *testing.T) {
	c := findCase(t, "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)")
	// Rows and columns: x/a x/b x/c y/a y/b y/c z/a z/b z/c.
	want := upstreamDrawing(
		"X X X . X X X X X",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
	)
	if got := compact(c.Steps[0].Probes[0].Expect); got != want {
		t.Errorf("table:\n%s\nwant (upstream drawing, loopback allowed):\n%s", got, want)
	}
}

// upstreamDrawing turns rows of a drawn table into compact form, setting
// the diagonal (loopback) to allowed.
func upstreamDrawing(rows ...string) string {
	var b strings.Builder
	for i, row := range rows {
		cells := strings.Fields(row)
		cells[i] = "."
		b.WriteString(strings.Join(cells, ""))
		b.WriteString("\n")
	}
	return b.String()
}

// TestPrinter checks the table printer's layout.
func TestPrinter(t *testing.T) {
	r := NewReachability(true).ExpectAllIngress("x/a", false).Expect("y/a", "x/a", true).AllowLoopback()
	want := "" +
		"-   x/a x/b x/c y/a y/b y/c z/a z/b z/c\n" +
		"x/a .   .   .   .   .   .   .   .   .\n" +
		"x/b X   .   .   .   .   .   .   .   .\n" +
		"x/c X   .   .   .   .   .   .   .   .\n" +
		"y/a .   .   .   .   .   .   .   .   .\n" +
		"y/b X   .   .   .   .   .   .   .   .\n" +
		"y/c X   .   .   .   .   .   .   .   .\n" +
		"z/a X   .   .   .   .   .   .   .   .\n" +
		"z/b X   .   .   .   .   .   .   .   .\n" +
		"z/c X   .   .   .   .   .   .   .   .\n"
	if got := r.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}
}

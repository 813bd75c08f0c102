package view

// Golden tests: each case renders a scenario without colour (the matrix, then the summary) and compares it byte
// for byte with testdata/<case>.golden. Run `go test ./internal/lab/view -update` to rewrite them, then read them:
// they are what a person sees.

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite internal/lab/view/testdata/*.golden from the current output")

func render(t *testing.T, c goldenCase) string {
	t.Helper()
	var b bytes.Buffer
	if err := Matrix(&b, c.results, c.opts); err != nil {
		t.Fatal(err)
	}
	b.WriteString("\n" + Summary(c.results, 1800*time.Millisecond, c.opts) + "\n")
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c)
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (run with -update and read the diff):\n--- got\n%s--- want\n%s", path, got, want)
			}
		})
	}
}

// Colour decorates only: with colour there are escapes, and removing them gives the text without colour.
func TestColorOnlyDecorates(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			plainText := render(t, c)
			if strings.Contains(plainText, "\x1b") {
				t.Errorf("Color=false output has an escape:\n%q", plainText)
			}
			c.opts.Color = true
			colored := render(t, c)
			if !strings.Contains(colored, "\x1b[") {
				t.Errorf("Color=true output has no ANSI escape:\n%s", colored)
			}
			if stripANSI(colored) != plainText {
				t.Errorf("Color=true output without its escapes is not the Color=false output:\n%s\n%s", stripANSI(colored), plainText)
			}
		})
	}
}

// The matrix (every line up to the first blank line after the title) fits the width.
func TestMatrixFitsWidth(t *testing.T) {
	for _, c := range goldenCases() {
		for _, w := range []int{0, 60, 80, 100, 160} {
			c.opts.Width, c.opts.Title = w, ""
			var b bytes.Buffer
			if err := Matrix(&b, c.results, c.opts); err != nil {
				t.Fatal(err)
			}
			limit := c.opts.width()
			for _, l := range strings.Split(b.String(), "\n") {
				if l == "" {
					break
				}
				if textWidth(l) > limit {
					t.Errorf("%s, width %d: line of %d cells:\n%s", c.name, w, textWidth(l), l)
				}
			}
		}
	}
}

// The output depends on the results, not on their order.
func TestOrderIndependent(t *testing.T) {
	for _, c := range goldenCases() {
		want := render(t, c)
		for i := range 3 {
			rs := append([]Result(nil), c.results...)
			for j := range rs { // a different permutation each round
				k := (j*7 + i*13) % len(rs)
				rs[j], rs[k] = rs[k], rs[j]
			}
			if got := render(t, goldenCase{c.name, c.opts, rs}); got != want {
				t.Errorf("%s: permutation %d renders differently:\n%s", c.name, i, got)
			}
		}
	}
}

// Odd input renders without panicking.
func TestOddInput(t *testing.T) {
	odd := [][]Result{
		{{}},
		{{From: "a", To: "a"}},
		{{From: "x/y", To: "10.0.0.0/8", Protocol: "icmp", Err: fmt.Errorf("\x1b[31mred\r\n")}},
		{{From: "ns/a", To: "ns/b", Protocol: "udp", ToIP: netipMust("fd00::1")}, {From: "ns/a", To: "ns/b", Protocol: "UDP", ToIP: netipMust("fd00::1"), Observed: true, Expected: true}},
	}
	for i, rs := range odd {
		for _, w := range []int{-1, 1, 20} {
			var b bytes.Buffer
			if err := Matrix(&b, rs, Options{Width: w, Color: i%2 == 0}); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(stripANSI(b.String()), "\x1b") || strings.Contains(b.String(), "\r") {
				t.Errorf("case %d: a control character of the input reached the output: %q", i, b.String())
			}
			_ = Summary(rs, 0, Options{})
		}
	}
}

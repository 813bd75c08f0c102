package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	earlier := &ResultsJSON{Figures: []FigureJSON{
		{Benchmark: "BenchmarkA", Metric: "x", Median: 1.02, Min: 1.0, Max: 1.05},
		{Benchmark: "BenchmarkA", Metric: "y", Median: 10, Min: 10, Max: 10},
		{Benchmark: "BenchmarkGone", Metric: "x", Median: 1, Min: 1, Max: 1},
	}}
	figs := []Figure{
		{Benchmark: "BenchmarkA", Metric: "x", Median: 1.05, Min: 1.0, Max: 1.1}, // on the bound: within
		{Benchmark: "BenchmarkA", Metric: "y", Median: 11, Min: 11, Max: 11},
		{Benchmark: "BenchmarkNew", Metric: "x", Median: 1, Min: 1, Max: 1},
	}
	repros, notInRun := Compare(figs, earlier)
	if notInRun != 1 || len(repros) != 3 {
		t.Fatalf("%d repros, %d not in run", len(repros), notInRun)
	}
	if !repros[0].Within || repros[1].Within || repros[2].Earlier != nil {
		t.Errorf("repros %+v", repros)
	}
	var b bytes.Buffer
	outside, err := WriteCheck(&b, "old.json", repros, notInRun)
	if err != nil {
		t.Fatal(err)
	}
	if outside != 1 {
		t.Errorf("outside = %d, want 1", outside)
	}
	out := b.String()
	for _, s := range []string{
		"Reproducibility against old.json",
		"BenchmarkA    x       1.05 [1.00–1.10]  1.02 [1.00–1.05]   yes",
		"BenchmarkA    y       11 [11–11]        10 [10–10]         NO",
		"BenchmarkNew  x       1 [1–1]           —                  new",
		"reproduced: 1 of 2 figures compared; 1 new, 1 earlier figures not in this run",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("no %q in:\n%s", s, out)
		}
	}
}

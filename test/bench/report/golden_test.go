package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// checkGolden compares got with testdata/NAME.golden, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./test/bench/report/ -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what was rendered (go test ./test/bench/report/ -update, then review the diff); got:\n%s", path, got)
	}
}

// loadSample is testdata/raw.txt, parsed, aggregated and evaluated as the command does.
func loadSample(t *testing.T) (*Raw, Report) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "raw.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := Parse(f, "bench/raw.txt")
	if err != nil {
		t.Fatal(err)
	}
	figs := Aggregate(raw.Results)
	checks, err := Evaluate(targets, figs)
	if err != nil {
		t.Fatal(err)
	}
	return raw, Report{Meta: metaOf(raw.Config), Source: "bench/raw.txt", Link: "raw.txt", Figures: figs, Checks: checks, Skipped: raw.Skipped}
}

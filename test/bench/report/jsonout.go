package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
)

// Number is a float64 that is null in JSON when it is not finite (a benchmark may report NaN).
type Number float64

func (n Number) MarshalJSON() ([]byte, error) {
	f := float64(n)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

func (n *Number) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Number(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	*n = Number(f)
	return err
}

// ResultsJSON is results.json.
type ResultsJSON struct {
	Date    string       `json:"date"`
	Command string       `json:"command"`
	Machine MachineJSON  `json:"machine"`
	Figures []FigureJSON `json:"figures"`
	Targets []TargetJSON `json:"targets"`
	Met     int          `json:"targetsMet"`
	Total   int          `json:"targetsTotal"`
	Skipped []SkipJSON   `json:"skipped,omitempty"`
}

type MachineJSON struct {
	CPU    string `json:"cpu"`
	Nproc  string `json:"nproc"`
	Kernel string `json:"kernel"`
	Go     string `json:"go"`
	GOOS   string `json:"goos"`
	GOARCH string `json:"goarch"`
}

// FigureJSON is one figure; Rounds says the range was measured by the benchmark (NAME-min, NAME-max), not over
// the repetitions.
type FigureJSON struct {
	Benchmark   string `json:"benchmark"`
	Metric      string `json:"metric"`
	Median      Number `json:"median"`
	Min         Number `json:"min"`
	Max         Number `json:"max"`
	Repetitions int    `json:"repetitions"`
	Rounds      bool   `json:"rounds"`
}

// TargetJSON is one check: the target, and the benchmark it was checked on (absent when not measured).
type TargetJSON struct {
	Bench     string  `json:"bench"`
	Metric    string  `json:"metric"`
	Target    string  `json:"target"`
	Issue     string  `json:"issue"`
	Status    Status  `json:"status"`
	Benchmark string  `json:"benchmark,omitempty"`
	Median    *Number `json:"median,omitempty"`
}

type SkipJSON struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// MarshalResults is results.json's bytes, indented, with a final newline.
func MarshalResults(r Report) ([]byte, error) {
	out := ResultsJSON{Date: r.Meta.Date, Command: r.Meta.Command, Figures: []FigureJSON{}, Targets: []TargetJSON{},
		Machine: MachineJSON{CPU: r.Meta.CPU, Nproc: r.Meta.Nproc, Kernel: r.Meta.Kernel, Go: r.Meta.Go, GOOS: r.Meta.GOOS, GOARCH: r.Meta.GOARCH}}
	for _, f := range r.Figures {
		out.Figures = append(out.Figures, FigureJSON{Benchmark: f.Benchmark, Metric: f.Metric, Median: Number(f.Median),
			Min: Number(f.Min), Max: Number(f.Max), Repetitions: f.Repetitions, Rounds: f.Rounds})
	}
	for _, c := range r.Checks {
		t := TargetJSON{Bench: c.Target.Bench, Metric: c.Target.Metric, Target: c.Target.Cmp.Text, Issue: c.Target.Issue, Status: c.Status}
		if c.Figure != nil {
			med := Number(c.Figure.Median)
			t.Benchmark, t.Median = c.Figure.Benchmark, &med
		}
		out.Targets = append(out.Targets, t)
	}
	out.Met, out.Total = Tally(r.Checks)
	for _, s := range r.Skipped {
		out.Skipped = append(out.Skipped, SkipJSON(s))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// LoadResults reads a results.json.
func LoadResults(path string) (*ResultsJSON, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r ResultsJSON
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(r.Figures) == 0 {
		return nil, fmt.Errorf("%s: no figures (not a results.json of this report?)", path)
	}
	return &r, nil
}

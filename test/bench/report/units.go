package main

import "regexp"

// conversion turns a metric of the benchmarks that match into another unit.
type conversion struct {
	bench    *regexp.Regexp
	from, to string
	factor   float64
}

// conversions: one BuildCompile op is one build+compile, timed in milliseconds by the target.
var conversions = []conversion{
	{bench: regexp.MustCompile(`^BenchmarkBuildCompile(/|$)`), from: "ns/op", to: "ms/op", factor: 1e-6},
}

// goUnits are the metrics go test reports itself; any other one is the benchmark's own.
var goUnits = map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true, "MB/s": true}

// normalize applies the conversions to one result line's metrics and drops ns/op when the benchmark reports
// metrics of its own: with -benchtime 1x it times the benchmark's setup as much as what it measures.
func normalize(name string, ms []Metric) []Metric {
	out := make([]Metric, 0, len(ms))
	own := false
	for _, m := range ms {
		for _, c := range conversions {
			if m.Unit == c.from && c.bench.MatchString(name) {
				m = Metric{Unit: c.to, Value: m.Value * c.factor}
			}
		}
		if !goUnits[m.Unit] {
			own = true
		}
		out = append(out, m)
	}
	if !own {
		return out
	}
	kept := out[:0]
	for _, m := range out {
		if m.Unit != "ns/op" {
			kept = append(kept, m)
		}
	}
	return kept
}

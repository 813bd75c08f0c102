package main

// goUnits are the metrics go test reports itself; any other one is the benchmark's own.
var goUnits = map[string]bool{"ns/op": true, "B/op": true, "allocs/op": true, "MB/s": true}

// normalize drops ns/op from one result line's metrics when the benchmark reports metrics of its own: with
// -benchtime 1x it times the benchmark's setup as much as what it measures.
func normalize(name string, ms []Metric) []Metric {
	out := make([]Metric, 0, len(ms))
	own := false
	for _, m := range ms {
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

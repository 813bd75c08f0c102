package main

import (
	"slices"
	"strings"
)

// Figure is one (benchmark, metric) of the run: a median and its range.
type Figure struct {
	Benchmark, Metric string
	Median, Min, Max  float64
	// Repetitions is the number of result lines (-count) the figure was taken over.
	Repetitions int
	// Rounds is true when the benchmark measured the range itself (companions NAME-min and NAME-max).
	Rounds bool
}

// Aggregate turns result lines into figures: benchmarks in the order they first ran, each one's metrics in the
// order of its first line. A metric NAME with NAME-min and NAME-max on the same line is one figure with that range;
// otherwise the range is taken over the repetitions.
func Aggregate(results []Result) []Figure {
	var order []string
	byName := map[string][]Result{}
	for _, r := range results {
		if _, seen := byName[r.Name]; !seen {
			order = append(order, r.Name)
		}
		byName[r.Name] = append(byName[r.Name], r)
	}
	var figs []Figure
	for _, name := range order {
		figs = append(figs, aggregateBenchmark(name, byName[name])...)
	}
	return figs
}

// sample is one repetition's figure for a metric.
type sample struct {
	median, min, max float64
	rounds           bool
}

func aggregateBenchmark(name string, reps []Result) []Figure {
	var units []string
	samples := map[string][]sample{}
	for _, r := range reps {
		ms := normalize(name, r.Metrics)
		vals := map[string]float64{}
		for _, m := range ms {
			vals[m.Unit] = m.Value
		}
		for _, m := range ms {
			if companionOf(m.Unit, vals) {
				continue
			}
			s := sample{median: m.Value, min: m.Value, max: m.Value}
			lo, okLo := vals[m.Unit+"-min"]
			hi, okHi := vals[m.Unit+"-max"]
			if okLo && okHi {
				s = sample{median: m.Value, min: lo, max: hi, rounds: true}
			}
			if _, seen := samples[m.Unit]; !seen {
				units = append(units, m.Unit)
			}
			samples[m.Unit] = append(samples[m.Unit], s)
		}
	}
	figs := make([]Figure, 0, len(units))
	for _, u := range units {
		figs = append(figs, combine(name, u, samples[u]))
	}
	return figs
}

// companionOf says whether unit is NAME-min or NAME-max of a NAME that has both on the line.
func companionOf(unit string, vals map[string]float64) bool {
	for _, suffix := range []string{"-min", "-max"} {
		base, ok := strings.CutSuffix(unit, suffix)
		if !ok || base == "" {
			continue
		}
		_, hasBase := vals[base]
		_, hasLo := vals[base+"-min"]
		_, hasHi := vals[base+"-max"]
		if hasBase && hasLo && hasHi {
			return true
		}
	}
	return false
}

// combine makes one figure of a metric's repetitions: the median of their medians, and the least min and greatest
// max, which for repetitions without rounds are the least and greatest value.
func combine(name, unit string, ss []sample) Figure {
	f := Figure{Benchmark: name, Metric: unit, Repetitions: len(ss), Min: ss[0].min, Max: ss[0].max}
	meds := make([]float64, len(ss))
	for i, s := range ss {
		meds[i] = s.median
		f.Min = min(f.Min, s.min)
		f.Max = max(f.Max, s.max)
		f.Rounds = f.Rounds || s.rounds
	}
	f.Median = median(meds)
	return f
}

// median of a non-empty list; the mean of the two middle values for an even count.
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

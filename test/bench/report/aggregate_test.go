package main

import (
	"strings"
	"testing"
)

func parseAll(t *testing.T, in string) []Figure {
	t.Helper()
	raw, err := Parse(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	return Aggregate(raw.Results)
}

func figure(t *testing.T, figs []Figure, bench, metric string) Figure {
	t.Helper()
	for _, f := range figs {
		if f.Benchmark == bench && f.Metric == metric {
			return f
		}
	}
	t.Fatalf("no figure %s %s in %+v", bench, metric, figs)
	return Figure{}
}

func TestAggregateCompanions(t *testing.T) {
	// The benchmark measured rounds: x is the median, x-min and x-max the range; they are one figure.
	figs := parseAll(t, "BenchmarkD/a-2 1 9e9 ns/op 1.2 x 1.5 x-max 1.1 x-min 7 y\n")
	if len(figs) != 2 {
		t.Fatalf("figures %+v, want x and y (ns/op dropped, companions folded)", figs)
	}
	if got := figure(t, figs, "BenchmarkD/a", "x"); got != (Figure{"BenchmarkD/a", "x", 1.2, 1.1, 1.5, 1, true}) {
		t.Errorf("x = %+v", got)
	}
	if got := figure(t, figs, "BenchmarkD/a", "y"); got != (Figure{"BenchmarkD/a", "y", 7, 7, 7, 1, false}) {
		t.Errorf("y = %+v", got)
	}
}

func TestAggregateRepetitions(t *testing.T) {
	// -count 4: the median of the values (the mean of the middle two), their least and greatest.
	figs := parseAll(t, strings.Repeat("", 0)+
		"BenchmarkR-2 1 1 ns/op 10 ms\nBenchmarkR-2 1 1 ns/op 40 ms\nBenchmarkR-2 1 1 ns/op 20 ms\nBenchmarkR-2 1 1 ns/op 30 ms\n")
	if got := figure(t, figs, "BenchmarkR", "ms"); got != (Figure{"BenchmarkR", "ms", 25, 10, 40, 4, false}) {
		t.Errorf("ms = %+v", got)
	}
	// -count 3 with rounds: the median of the medians, the least min, the greatest max.
	figs = parseAll(t, "BenchmarkD-2 1 1 ns/op 1.2 x 1.4 x-max 1.1 x-min\n"+
		"BenchmarkD-2 1 1 ns/op 1.0 x 1.3 x-max 0.9 x-min\n"+
		"BenchmarkD-2 1 1 ns/op 1.3 x 1.6 x-max 1.2 x-min\n")
	if got := figure(t, figs, "BenchmarkD", "x"); got != (Figure{"BenchmarkD", "x", 1.2, 0.9, 1.6, 3, true}) {
		t.Errorf("x = %+v", got)
	}
}

func TestAggregateLoneCompanion(t *testing.T) {
	// x-min without x-max is a metric of its own.
	figs := parseAll(t, "BenchmarkD-2 1 1 ns/op 1.2 x 1.1 x-min\n")
	if len(figs) != 2 || figs[0].Metric != "x" || figs[1].Metric != "x-min" || figs[0].Rounds {
		t.Errorf("figures %+v", figs)
	}
}

func TestAggregateUnits(t *testing.T) {
	figs := parseAll(t, strings.Join([]string{
		"BenchmarkPlain-2 1 1234 ns/op 16 B/op 1 allocs/op",
		"BenchmarkOwn-2 1 1234 ns/op 3 msgs 16 B/op 1 allocs/op",
	}, "\n"))
	var got []string
	for _, f := range figs {
		got = append(got, f.Benchmark+" "+f.Metric)
	}
	want := []string{
		// ns/op stays when it is all the benchmark times.
		"BenchmarkPlain ns/op", "BenchmarkPlain B/op", "BenchmarkPlain allocs/op",
		// and goes when the benchmark reports metrics of its own; B/op and allocs/op stay.
		"BenchmarkOwn msgs", "BenchmarkOwn B/op", "BenchmarkOwn allocs/op",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("figures:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestAggregateOrder(t *testing.T) {
	// Benchmarks in the order they first ran (-count repeats the whole list), metrics in their line's order.
	figs := parseAll(t, "BenchmarkB-2 1 1 ns/op\nBenchmarkA-2 1 1 ns/op\nBenchmarkB-2 1 1 ns/op\nBenchmarkA-2 1 1 ns/op\n")
	if len(figs) != 2 || figs[0].Benchmark != "BenchmarkB" || figs[1].Benchmark != "BenchmarkA" || figs[0].Repetitions != 2 {
		t.Errorf("figures %+v", figs)
	}
}

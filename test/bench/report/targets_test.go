package main

import (
	"regexp"
	"testing"
)

func TestComparison(t *testing.T) {
	for _, tc := range []struct {
		c    Comparison
		v    float64
		want bool
	}{
		{AtMost(1.05), 1.05, true}, {AtMost(1.05), 1.0501, false},
		{Below(2000), 1999.9, true}, {Below(2000), 2000, false},
		{Within(1, 5), 1.05, true}, {Within(1, 5), 0.95, true}, {Within(1, 5), 1.0501, false}, {Within(1, 5), 0.9499, false},
	} {
		if got := tc.c.Met(tc.v); got != tc.want {
			t.Errorf("%s on %v = %v, want %v", tc.c.Text, tc.v, got, tc.want)
		}
	}
	for c, want := range map[Comparison]string{AtMost(1.1): "≤ 1.10", Below(2000): "< 2,000", Within(1, 5): "1 ± 5%"} {
		if c.Text != want {
			t.Errorf("text %q, want %q", c.Text, want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	ts := []Target{
		{Bench: `BenchmarkD/[^/]+/nftpolicy-10000`, Metric: "rr-x", Cmp: AtMost(1.10), Issue: "rr"},
		{Bench: `BenchmarkAgent.*Churn.*`, Metric: "p99-ms", Cmp: Below(100), Issue: "churn"},
		{Bench: `BenchmarkD/veth/nftpolicy-1000`, Metric: "new-conn-x", Cmp: AtMost(2), Issue: "anchored"},
	}
	figs := []Figure{
		{Benchmark: "BenchmarkD/veth/nftpolicy-10000", Metric: "rr-x", Median: 1.04},
		{Benchmark: "BenchmarkD/bridge/nftpolicy-10000", Metric: "rr-x", Median: 1.12},
		{Benchmark: "BenchmarkD/bridge/nftpolicy-10000", Metric: "new-conn-x", Median: 1.0},
	}
	checks, err := Evaluate(ts, figs)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		bench  string
		status Status
	}
	var gots []got
	for _, c := range checks {
		g := got{c.Target.Bench, c.Status}
		if c.Figure != nil {
			g.bench = c.Figure.Benchmark
		}
		gots = append(gots, g)
	}
	want := []got{
		{"BenchmarkD/veth/nftpolicy-10000", Met},
		{"BenchmarkD/bridge/nftpolicy-10000", Missed},
		{`BenchmarkAgent.*Churn.*`, NotMeasured},
		// The pattern is anchored: nftpolicy-1000 does not match nftpolicy-10000.
		{`BenchmarkD/veth/nftpolicy-1000`, NotMeasured},
	}
	if len(gots) != len(want) {
		t.Fatalf("checks %+v, want %+v", gots, want)
	}
	for i := range want {
		if gots[i] != want[i] {
			t.Errorf("check %d = %+v, want %+v", i, gots[i], want[i])
		}
	}
	if met, total := Tally(checks); met != 1 || total != 4 {
		t.Errorf("tally %d of %d, want 1 of 4", met, total)
	}
}

// TestTargets keeps the table sound: patterns compile, and every target is measured by the sample, whose names
// follow the contract (doc.go) — but for the churn benchmark, which the sample skips.
func TestTargets(t *testing.T) {
	for _, tg := range targets {
		if _, err := regexp.Compile(tg.Bench); err != nil {
			t.Errorf("%s: %v", tg.Bench, err)
		}
		if tg.Issue == "" || tg.Metric == "" || tg.Cmp.Text == "" {
			t.Errorf("incomplete target %+v", tg)
		}
	}
	_, rep := loadSample(t)
	for _, c := range rep.Checks {
		if c.Status == NotMeasured && c.Target.Bench != `BenchmarkAgent.*Churn.*` {
			t.Errorf("%s %s not measured by testdata/raw.txt", c.Target.Bench, c.Target.Metric)
		}
	}
	if met, total := Tally(rep.Checks); met != 10 || total != 12 {
		t.Errorf("sample: %d of %d targets met, want 10 of 12 (bridge rr-x missed, churn not measured)", met, total)
	}
}

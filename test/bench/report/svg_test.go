package main

import (
	"bytes"
	"strings"
	"testing"
)

func renderSVG(t *testing.T, figs []Figure) []byte {
	t.Helper()
	p, ok := PlotOf(figs)
	if !ok {
		t.Fatal("nothing to plot")
	}
	var b bytes.Buffer
	if err := WriteSVG(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSVGSample(t *testing.T) {
	_, rep := loadSample(t)
	first := renderSVG(t, rep.Figures)
	for i := 0; i < 5; i++ {
		if again := renderSVG(t, rep.Figures); !bytes.Equal(first, again) {
			t.Fatal("two renderings of the same figures differ")
		}
	}
	checkGolden(t, "performance.svg", first)

	p, _ := PlotOf(rep.Figures)
	var series []string
	for _, s := range p.Series {
		var ps []string
		for _, pt := range s.Points {
			ps = append(ps, formatNumber(float64(pt.Policies)))
		}
		series = append(series, s.Ruleset+" ("+s.Topology+"): "+strings.Join(ps, " "))
	}
	want := []string{
		"nftpolicy (routed): 10 1,000 10,000", "naive (routed): 10 1,000 10,000",
		"nftpolicy (bridge): 10 1,000 10,000", "naive (bridge): 10 1,000 10,000",
	}
	if strings.Join(series, "\n") != strings.Join(want, "\n") {
		t.Errorf("series:\n%s\nwant:\n%s", strings.Join(series, "\n"), strings.Join(want, "\n"))
	}
	if len(p.Refs) != 2 || p.Refs[0].Topology != "routed" || p.Refs[1].Topology != "bridge" {
		t.Errorf("reference lines %+v", p.Refs)
	}
	svg := string(first)
	for _, s := range []string{
		">nftpolicy (routed)<", ">naive (routed)<", ">nftpolicy (bridge)<", ">naive (bridge)<",
		">conntrack only (routed)<", ">conntrack only (bridge)<", ">no filter<",
		"(log scale)</text>", // y: naive reaches ~47 × the least figure
		">number of policies (log scale)<", `stroke-dasharray="7 4"`, "<title>",
	} {
		if !strings.Contains(svg, s) {
			t.Errorf("the SVG has no %q", s)
		}
	}
	// One polyline per series; 12 points with error bars.
	if n := strings.Count(svg, "<polyline"); n != 4 {
		t.Errorf("%d polylines, want 4", n)
	}
	if n := strings.Count(svg, "<path d="); n != 12 {
		t.Errorf("%d error bars, want 12", n)
	}
}

func TestSVGLinear(t *testing.T) {
	figs := []Figure{
		{Benchmark: "BenchmarkDatapath/veth/nftpolicy-10", Metric: "new-conn-x", Median: 1.02, Min: 1.0, Max: 1.05},
		{Benchmark: "BenchmarkDatapath/veth/nftpolicy-10000", Metric: "new-conn-x", Median: 1.03, Min: 1.01, Max: 1.06},
		{Benchmark: "BenchmarkDatapath/veth/naive-10000", Metric: "new-conn-x", Median: 3.1, Min: 3.1, Max: 3.1},
		{Benchmark: "BenchmarkDatapath/veth/naive-10", Metric: "new-conn-x", Median: 1.1, Min: 1.1, Max: 1.1},
	}
	svg := string(renderSVG(t, figs))
	if strings.Contains(svg, "latency ÷ no filter (log scale)") {
		t.Error("log y, but naive stays within 10 × the least figure")
	}
	if n := strings.Count(svg, "<path d="); n != 2 {
		t.Errorf("%d error bars, want 2 (none where min = max)", n)
	}
	// Points are drawn by number of policies, whatever order they ran in.
	p, _ := PlotOf(figs)
	if pts := p.Series[1].Points; pts[0].Policies != 10 || pts[1].Policies != 10000 {
		t.Errorf("naive points %+v", pts)
	}
}

func TestSVGNothingToPlot(t *testing.T) {
	for _, figs := range [][]Figure{
		nil,
		{{Benchmark: "BenchmarkBuildCompile/policies=10/pods=10", Metric: "ms", Median: 1}},
		// The reference alone is no plot.
		{{Benchmark: "BenchmarkDatapath/veth/conntrack", Metric: "new-conn-x", Median: 1}},
	} {
		if _, ok := PlotOf(figs); ok {
			t.Errorf("PlotOf(%+v) has something to plot", figs)
		}
	}
}

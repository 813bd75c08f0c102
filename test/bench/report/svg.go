package main

import (
	"cmp"
	"fmt"
	"html"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The plot reads new-conn-x (new connection latency ÷ no filter) of these benchmarks.
const plotMetric = "new-conn-x"

var (
	plotPoint = regexp.MustCompile(`^BenchmarkDatapath/([^/]+)/(nftpolicy|naive)-([0-9]+)$`)
	plotRef   = regexp.MustCompile(`^BenchmarkDatapath/([^/]+)/conntrack$`)
)

// PlotPoint is one figure of a series: P policies.
type PlotPoint struct {
	Policies         int
	Median, Min, Max float64
}

// PlotSeries is one line: a ruleset (nftpolicy or naive) on a topology.
type PlotSeries struct {
	Ruleset, Topology string
	Points            []PlotPoint // by Policies
}

// PlotRef is a horizontal line: conntrack only on a topology.
type PlotRef struct {
	Topology string
	Figure   Figure
}

// Plot is what docs/performance.svg shows.
type Plot struct {
	Topologies []string // in the order they ran; they give the colours
	Series     []PlotSeries
	Refs       []PlotRef
}

// PlotOf picks the datapath figures out of a run. Points with 0 policies (no place on a log scale) and figures
// that are not finite are left out. ok is false when there is no series to plot.
func PlotOf(figs []Figure) (p Plot, ok bool) {
	topo := func(t string) {
		if !slices.Contains(p.Topologies, t) {
			p.Topologies = append(p.Topologies, t)
		}
	}
	for _, f := range figs {
		if f.Metric != plotMetric || !finite(f.Median) || !finite(f.Min) || !finite(f.Max) {
			continue
		}
		if m := plotRef.FindStringSubmatch(f.Benchmark); m != nil {
			topo(m[1])
			p.Refs = append(p.Refs, PlotRef{Topology: m[1], Figure: f})
			continue
		}
		m := plotPoint.FindStringSubmatch(f.Benchmark)
		if m == nil {
			continue
		}
		n, err := strconv.Atoi(m[3])
		if err != nil || n < 1 {
			continue
		}
		topo(m[1])
		i := slices.IndexFunc(p.Series, func(s PlotSeries) bool { return s.Ruleset == m[2] && s.Topology == m[1] })
		if i < 0 {
			p.Series = append(p.Series, PlotSeries{Ruleset: m[2], Topology: m[1]})
			i = len(p.Series) - 1
		}
		p.Series[i].Points = append(p.Series[i].Points, PlotPoint{Policies: n, Median: f.Median, Min: f.Min, Max: f.Max})
	}
	rank := func(r string) int {
		if r == "nftpolicy" {
			return 0
		}
		return 1
	}
	slices.SortStableFunc(p.Series, func(a, b PlotSeries) int {
		return cmp.Or(cmp.Compare(slices.Index(p.Topologies, a.Topology), slices.Index(p.Topologies, b.Topology)),
			cmp.Compare(rank(a.Ruleset), rank(b.Ruleset)))
	})
	for _, s := range p.Series {
		slices.SortStableFunc(s.Points, func(a, b PlotPoint) int { return cmp.Compare(a.Policies, b.Policies) })
	}
	return p, len(p.Series) > 0
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"}

// Geometry of the picture, in pixels.
const (
	svgW, svgH                = 780, 470
	plotL, plotT              = 80, 56
	plotR, plotB              = 560, 400
	legendX                   = 580
	decadePad                 = 0.15 // of a decade, either side of the x range
	logYWhenNaiveExceedsLeast = 10
)

// WriteSVG draws the plot. The same plot gives the same bytes.
func WriteSVG(w io.Writer, p Plot) error {
	// x: policies, log scale, whole decades.
	minP, maxP := math.MaxInt, 0
	for _, s := range p.Series {
		for _, pt := range s.Points {
			minP, maxP = min(minP, pt.Policies), max(maxP, pt.Policies)
		}
	}
	xLo, xHi := math.Floor(math.Log10(float64(minP))), math.Ceil(math.Log10(float64(maxP)))
	if xHi == xLo {
		xHi++
	}
	x := func(n float64) float64 {
		return plotL + (math.Log10(n)-(xLo-decadePad))/(xHi-xLo+2*decadePad)*(plotR-plotL)
	}

	// y: ratios, 1 (no filter) always in range.
	vals := []float64{1}
	maxNaive := math.Inf(-1)
	for _, s := range p.Series {
		for _, pt := range s.Points {
			vals = append(vals, pt.Median, pt.Min, pt.Max)
			if s.Ruleset == "naive" {
				maxNaive = max(maxNaive, pt.Median, pt.Max)
			}
		}
	}
	for _, r := range p.Refs {
		vals = append(vals, r.Figure.Median, r.Figure.Min, r.Figure.Max)
	}
	least, most := slices.Min(vals), slices.Max(vals)
	logY := least > 0 && maxNaive > logYWhenNaiveExceedsLeast*least
	var yTicks []float64
	var y func(float64) float64
	decimals := 0 // of the y tick labels
	if logY {
		// From the largest 1, 2 or 5 × 10^k at most the least value to the smallest at least the greatest.
		ticks := oneTwoFive(least, most)
		yTicks = ticks
		lo, hi := math.Log10(ticks[0]), math.Log10(ticks[len(ticks)-1])
		if hi-lo < 1e-9 {
			hi = lo + 1
		}
		decimals = -1 // as short as the value: 0.5, 1, 20
		y = func(v float64) float64 { return plotB - (math.Log10(v)-lo)/(hi-lo)*(plotB-plotT) }
	} else {
		lo, hi, step := niceRange(least, most)
		decimals = max(0, int(-math.Floor(math.Log10(step))))
		for v := lo; v <= hi+step/2; v += step {
			yTicks = append(yTicks, math.Round(v/step)*step)
		}
		y = func(v float64) float64 { return plotB - (v-lo)/(hi-lo)*(plotB-plotT) }
	}

	var b strings.Builder
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", svgW, svgH, svgW, svgH)
	title := "Datapath: cost of a new connection against the number of policies"
	fmt.Fprintf(&b, "<title>%s</title>\n", esc(title))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", svgW, svgH)
	fmt.Fprintf(&b, `<text x="%s" y="28" font-size="15" text-anchor="middle">%s</text>`+"\n", f((plotL+plotR)/2), esc(title))

	// Grid and ticks.
	b.WriteString(`<g stroke="#e5e5e5" stroke-width="1">` + "\n")
	for d := xLo; d <= xHi; d++ {
		xv := f(x(math.Pow(10, d)))
		fmt.Fprintf(&b, `<line x1="%s" y1="%d" x2="%s" y2="%d"/>`+"\n", xv, plotT, xv, plotB)
	}
	for _, t := range yTicks {
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s"/>`+"\n", plotL, f(y(t)), plotR, f(y(t)))
	}
	b.WriteString("</g>\n")
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#333333"/>`+"\n", plotL, plotT, plotR-plotL, plotB-plotT)
	b.WriteString(`<g fill="#333333">` + "\n")
	for d := xLo; d <= xHi; d++ {
		fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">%s</text>`+"\n", f(x(math.Pow(10, d))), plotB+18, formatNumber(math.Pow(10, d)))
	}
	for _, t := range yTicks {
		fmt.Fprintf(&b, `<text x="%d" y="%s" text-anchor="end">%s</text>`+"\n", plotL-6, f(y(t)+4), tickLabel(t, decimals))
	}
	fmt.Fprintf(&b, `<text x="%s" y="%d" text-anchor="middle">number of policies (log scale)</text>`+"\n", f((plotL+plotR)/2), plotB+42)
	yLabel := "new connection latency ÷ no filter"
	if logY {
		yLabel += " (log scale)"
	}
	fmt.Fprintf(&b, `<text transform="translate(24 %s) rotate(-90)" text-anchor="middle">%s</text>`+"\n", f((plotT+plotB)/2), esc(yLabel))
	b.WriteString("</g>\n")

	// No filter, and conntrack per topology.
	fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="#999999" stroke-width="1.5"/>`+"\n", plotL, f(y(1)), plotR, f(y(1)))
	for _, r := range p.Refs {
		c := colour(p, r.Topology)
		fmt.Fprintf(&b, `<line x1="%d" y1="%s" x2="%d" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="2 3"/>`+"\n",
			plotL, f(y(r.Figure.Median)), plotR, f(y(r.Figure.Median)), c)
	}

	// Series: line, error bars, markers.
	for _, s := range p.Series {
		c := colour(p, s.Topology)
		dash, fill := "", c
		if s.Ruleset == "naive" {
			dash, fill = ` stroke-dasharray="7 4"`, "#ffffff"
		}
		fmt.Fprintf(&b, `<g stroke="%s" stroke-width="2" fill="none">`+"\n", c)
		var pts []string
		for _, pt := range s.Points {
			pts = append(pts, f(x(float64(pt.Policies)))+","+f(y(pt.Median)))
		}
		fmt.Fprintf(&b, `<polyline points="%s"%s/>`+"\n", strings.Join(pts, " "), dash)
		for _, pt := range s.Points {
			xv := x(float64(pt.Policies))
			if pt.Min != pt.Max {
				fmt.Fprintf(&b, `<path d="M%s %sV%sM%s %sH%sM%s %sH%s" stroke-width="1.2"/>`+"\n",
					f(xv), f(y(pt.Min)), f(y(pt.Max)), f(xv-4), f(y(pt.Min)), f(xv+4), f(xv-4), f(y(pt.Max)), f(xv+4))
			}
			fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3.5" fill="%s"/>`+"\n", f(xv), f(y(pt.Median)), fill)
		}
		b.WriteString("</g>\n")
	}

	// Legend.
	ly := plotT + 6
	entry := func(label, stroke, dash, marker string) {
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`, legendX, ly, legendX+28, ly, stroke, dash)
		if marker != "" {
			fmt.Fprintf(&b, `<circle cx="%d" cy="%d" r="3.5" fill="%s" stroke="%s" stroke-width="2"/>`, legendX+14, ly, marker, stroke)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#333333">%s</text>`+"\n", legendX+36, ly+4, esc(label))
		ly += 20
	}
	for _, s := range p.Series {
		c := colour(p, s.Topology)
		if s.Ruleset == "naive" {
			entry(s.Ruleset+" ("+s.Topology+")", c, ` stroke-dasharray="7 4"`, "#ffffff")
		} else {
			entry(s.Ruleset+" ("+s.Topology+")", c, "", c)
		}
	}
	for _, r := range p.Refs {
		entry("conntrack only ("+r.Topology+")", colour(p, r.Topology), ` stroke-dasharray="2 3"`, "")
	}
	entry("no filter", "#999999", "", "")
	fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#666666" font-size="11">bars: min–max</text>`+"\n", legendX, ly+4)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// tickLabel writes a tick's value with a fixed number of decimals (-1: as few as it needs), thousands separated.
func tickLabel(v float64, decimals int) string {
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	if frac != "" {
		return thousands(whole) + "." + frac
	}
	return thousands(whole)
}

func colour(p Plot, topology string) string {
	return palette[slices.Index(p.Topologies, topology)%len(palette)]
}

func esc(s string) string { return html.EscapeString(s) }

// oneTwoFive is the values 1, 2 and 5 × 10^k from the largest at most lo to the smallest at least hi (lo > 0).
func oneTwoFive(lo, hi float64) []float64 {
	var out []float64
	for d := math.Floor(math.Log10(lo)); ; d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if v*(1+1e-9) < lo {
				out = out[:0] // only the last value below lo stays
			}
			out = append(out, v)
			if v >= hi*(1-1e-9) {
				return out
			}
		}
	}
}

// niceRange widens [lo, hi] to multiples of a step of 1, 2 or 5 × 10^k that gives about five intervals.
func niceRange(lo, hi float64) (float64, float64, float64) {
	if hi-lo < 1e-9 {
		lo, hi = lo-0.05, hi+0.05
	}
	raw := (hi - lo) / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Floor(lo/step) * step, math.Ceil(hi/step) * step, step
}

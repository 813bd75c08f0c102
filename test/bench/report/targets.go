package main

import (
	"fmt"
	"math"
	"regexp"
)

// Target is a figure an issue asks for. Bench is a regular expression matched against the whole benchmark name
// (GOMAXPROCS suffix stripped), so that a small renaming is a one-line fix here; every matching benchmark that
// reports Metric is checked.
type Target struct {
	Bench  string
	Metric string
	Cmp    Comparison
	Issue  string // the wording of the issue
}

// The targets of the issues. The metric names are the contract with the benchmarks' authors (doc.go).
var targets = []Target{
	{Bench: `BenchmarkDatapath/[^/]+/nftpolicy-10000`, Metric: "vs-conntrack-x", Cmp: AtMost(1.05),
		Issue: "new connection ≤ 1.05 × conntrack-only"},
	{Bench: `BenchmarkDatapath/[^/]+/nftpolicy-10000`, Metric: "vs-10-policies-x", Cmp: Within(1, 5),
		Issue: "flat: within ±5% of its cost at 10 policies"},
	{Bench: `BenchmarkDatapath/[^/]+/nftpolicy-10000`, Metric: "rr-x", Cmp: AtMost(1.10),
		Issue: "established request/response ≤ 1.10 × no-filter"},
	{Bench: `BenchmarkBuildCompile/policies=10000/pods=50000`, Metric: "ms", Cmp: Below(2000),
		Issue: "build + compile of 10,000 policies over 50,000 pods < 2 s"},
	{Bench: `BenchmarkFirstBatch(/.*)?`, Metric: "apply-ms", Cmp: Below(1000),
		Issue: "first batch in the kernel < 1 s"},
	{Bench: `BenchmarkChange/relabel(/.*)?`, Metric: "msgs", Cmp: AtMost(20),
		Issue: "a relabel is ≤ 20 netlink messages"},
	{Bench: `BenchmarkChange/relabel(/.*)?`, Metric: "apply-µs", Cmp: Below(5000),
		Issue: "a relabel is applied in < 5 ms"},
	{Bench: `BenchmarkAgent.*50000.*`, Metric: "rss-MB", Cmp: Below(150),
		Issue: "agent RSS < 150 MB at 50,000 pods"},
	{Bench: `BenchmarkAgent.*Churn.*`, Metric: "p99-ms", Cmp: Below(100),
		Issue: "p99 event → kernel < 100 ms under churn"},
}

// Comparison is what a target asks of a figure's median.
type Comparison struct {
	Op    string  // "<=", "<" or "±"
	Limit float64 // the bound; the centre for "±"
	Tol   float64 // for "±": the allowed fraction of Limit either side
	Text  string  // for people: "≤ 1.05", "< 2,000", "1 ± 5%"
}

func AtMost(limit float64) Comparison {
	return Comparison{Op: "<=", Limit: limit, Text: "≤ " + formatNumber(limit)}
}

func Below(limit float64) Comparison {
	return Comparison{Op: "<", Limit: limit, Text: "< " + formatNumber(limit)}
}

// Within is centre ± pct% of centre, bounds included.
func Within(centre, pct float64) Comparison {
	return Comparison{Op: "±", Limit: centre, Tol: pct / 100, Text: fmt.Sprintf("%s ± %s%%", formatNumber(centre), formatNumber(pct))}
}

// Met says whether v satisfies the comparison.
func (c Comparison) Met(v float64) bool {
	switch c.Op {
	case "<=":
		return v <= c.Limit
	case "<":
		return v < c.Limit
	case "±":
		// A little slack, so that 1.05 is within 1 ± 5% whatever the floating point does.
		return math.Abs(v-c.Limit) <= c.Tol*math.Abs(c.Limit)*(1+1e-9)
	}
	return false
}

// Status of a check.
type Status string

const (
	Met         Status = "met"
	Missed      Status = "missed"
	NotMeasured Status = "not measured"
)

// Check is a target applied to one figure, or to none (not measured).
type Check struct {
	Target Target
	Figure *Figure // nil when no figure matched
	Status Status
}

// Evaluate checks every target against the figures: one check per matching figure, in the order of the figures,
// or one "not measured" check for a target that matched none.
func Evaluate(ts []Target, figs []Figure) ([]Check, error) {
	var checks []Check
	for _, t := range ts {
		re, err := regexp.Compile(`^(?:` + t.Bench + `)$`)
		if err != nil {
			return nil, fmt.Errorf("target %q: %v", t.Bench, err)
		}
		found := false
		for i := range figs {
			f := &figs[i]
			if f.Metric != t.Metric || !re.MatchString(f.Benchmark) {
				continue
			}
			found = true
			st := Missed
			if t.Cmp.Met(f.Median) {
				st = Met
			}
			checks = append(checks, Check{Target: t, Figure: f, Status: st})
		}
		if !found {
			checks = append(checks, Check{Target: t, Status: NotMeasured})
		}
	}
	return checks, nil
}

// Tally counts the checks met.
func Tally(checks []Check) (met, total int) {
	for _, c := range checks {
		if c.Status == Met {
			met++
		}
	}
	return met, len(checks)
}

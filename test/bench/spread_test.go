package bench

import (
	"slices"
	"testing"
	"time"
)

// minRounds is the least number of rounds a benchmark that reports a spread measures, whatever -benchtime says:
// with -benchtime 1x, b.Loop runs once, and one sample has no bounds.
const minRounds = 5

// reportSpread reports the median of xs as name and its bounds as name-min and name-max (the report driver
// reads them as one figure with its range).
func reportSpread(b *testing.B, name string, xs []float64) {
	b.Helper()
	if len(xs) == 0 {
		b.Fatalf("%s: no samples", name)
	}
	s := slices.Sorted(slices.Values(xs))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	b.ReportMetric(med, name)
	b.ReportMetric(s[0], name+"-min")
	b.ReportMetric(s[len(s)-1], name+"-max")
}

// durMs and durUs turn durations into the float figures reportSpread takes.
func durMs(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func durUs(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

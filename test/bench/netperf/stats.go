package netperf

import (
	"slices"
	"time"
)

// Median returns the median of ds (0 for none), leaving ds unchanged.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

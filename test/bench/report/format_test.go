package main

import (
	"math"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 1: "1", 20: "20", 1234567: "1,234,567", -4500: "-4,500",
		1.05: "1.05", 1.1: "1.10", 0.98765: "0.988", 9.996: "10.0", 123.4: "123", 999.4: "999", 999.7: "1,000",
		1414.9: "1,415", 0.00012345: "0.000123", 1.5e-9: "1.5e-09", math.NaN(): "NaN", math.Inf(1): "+Inf",
	} {
		if got := formatNumber(v); got != want {
			t.Errorf("formatNumber(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestFormatFigure(t *testing.T) {
	for _, tc := range []struct {
		f    Figure
		want string
	}{
		{Figure{Median: 6, Min: 6, Max: 6}, "6 [6–6]"},
		{Figure{Median: 1, Min: 0.98, Max: 1.02}, "1.00 [0.980–1.02]"}, // one style for the three
		{Figure{Median: 1921.5, Min: 1410, Max: 3245}, "1,922 [1,410–3,245]"},
	} {
		if got := formatFigure(tc.f); got != tc.want {
			t.Errorf("formatFigure(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

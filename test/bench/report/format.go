package main

import (
	"math"
	"strconv"
	"strings"
)

// formatNumber writes v for people: integers whole, other values from 1,000 up rounded to an integer, smaller ones
// to 3 significant digits; thousands separated by commas.
func formatNumber(v float64) string {
	return formatAs(v, isInteger(v))
}

// formatFigure is "median [min–max]", the three numbers in one style: whole when all three are integers.
func formatFigure(f Figure) string {
	whole := isInteger(f.Median) && isInteger(f.Min) && isInteger(f.Max)
	return formatAs(f.Median, whole) + " [" + formatAs(f.Min, whole) + "–" + formatAs(f.Max, whole) + "]"
}

func isInteger(v float64) bool {
	return !math.IsInf(v, 0) && !math.IsNaN(v) && v == math.Trunc(v) && math.Abs(v) < 1e15
}

func formatAs(v float64, whole bool) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case whole || math.Abs(v) >= 999.5 && math.Abs(v) < 1e15:
		return thousands(strconv.FormatFloat(math.Round(v), 'f', 0, 64))
	case v == 0:
		return "0"
	}
	// 3 significant digits, rounded first so that 9.996 becomes 10.0 and not 10.00.
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	decimals := 2 - int(math.Floor(math.Log10(math.Abs(r))))
	if decimals > 6 || decimals < 0 {
		return strconv.FormatFloat(r, 'g', 3, 64)
	}
	return strconv.FormatFloat(r, 'f', decimals, 64)
}

// thousands puts commas in the integer part of a plain decimal number.
func thousands(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String()
}

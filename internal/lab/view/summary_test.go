package view

import (
	"strings"
	"testing"
	"time"
)

func TestSummary(t *testing.T) {
	c := goldenCases()[3] // mismatch
	if got, want := Summary(c.results, 1800*time.Millisecond, Options{}), "60 probes · 12 allow · 48 deny · 1 mismatch · 1.8s"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if got, want := Summary(nil, 0, Options{}), "no probes"; got != want {
		t.Errorf("Summary(nil) = %q, want %q", got, want)
	}
	for d, want := range map[time.Duration]string{180 * time.Millisecond: "180ms", 1849 * time.Millisecond: "1.8s", 125 * time.Second: "2m5s"} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
	colored := Summary(c.results, 0, Options{Color: true})
	if !strings.Contains(colored, "\x1b[1;31m1 mismatch\x1b[0m") {
		t.Errorf("the mismatch count is not red: %q", colored)
	}
	ok := Summary(goldenCases()[0].results, 0, Options{Color: true})
	if !strings.Contains(ok, "\x1b[32m0 mismatches, all as expected\x1b[0m") {
		t.Errorf("all as expected is not green: %q", ok)
	}
}

func TestClearScreen(t *testing.T) {
	if s := ClearScreen(Options{}); s != "" {
		t.Errorf("ClearScreen without colour = %q", s)
	}
	if s := ClearScreen(Options{Color: true}); s != "\x1b[H\x1b[2J" {
		t.Errorf("ClearScreen = %q", s)
	}
}

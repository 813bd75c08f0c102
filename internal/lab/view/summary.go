package view

import (
	"fmt"
	"strings"
	"time"
)

// Summary is the one-line summary: "72 probes · 40 allow · 32 deny · 0 mismatches, all as expected · 1.8s".
// Probes that passed only because of audit mode add "· 12 would be denied without audit mode" after the allow
// count they are part of: what enforcing would cut. Failed probes add "· 2 errors" and count neither as allow nor
// deny; "all as expected" needs no mismatch and no error. With o.Color the mismatch count is red when > 0, "all
// as expected" green, the errors magenta, the audit count cyan; the text is the same either way. A zero elapsed
// is left out.
func Summary(results []Result, elapsed time.Duration, o Options) string {
	var all outcome
	for _, r := range results {
		all.add(r)
	}
	var parts []string
	if len(results) == 0 {
		parts = append(parts, "no probes")
	} else {
		parts = append(parts, count(len(results), "probe", "probes"), fmt.Sprintf("%d allow", all.allowed))
		if all.audited > 0 {
			parts = append(parts, o.paint(styAudit, fmt.Sprintf("%d would be denied without audit mode", all.audited)))
		}
		parts = append(parts, fmt.Sprintf("%d deny", all.denied))
		if all.failed > 0 {
			parts = append(parts, o.paint(styError, count(all.failed, "error", "errors")))
		}
		switch {
		case all.mismatched > 0:
			parts = append(parts, o.paint(styMismatch, count(all.mismatched, "mismatch", "mismatches")))
		case all.failed > 0:
			parts = append(parts, "0 mismatches")
		default:
			parts = append(parts, o.paint(styAllow, "0 mismatches, all as expected"))
		}
	}
	if elapsed > 0 {
		parts = append(parts, duration(elapsed))
	}
	return strings.Join(parts, " · ")
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// duration is "180ms", "1.8s", "2m5s".
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}

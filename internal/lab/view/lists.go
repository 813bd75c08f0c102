package view

import (
	"fmt"
	"net/netip"
	"strings"
)

// At most this many mismatches and errors are listed; the rest are counted.
const (
	maxMismatches = 50
	maxErrors     = 20
)

func verdictWord(allow bool) string {
	if allow {
		return "allow"
	}
	return "deny"
}

// mismatchLines lists the probes whose observed verdict is not the expected one.
func (m *model) mismatchLines(o Options) []string {
	var ps []probe
	for _, p := range m.probes {
		if p.Err == nil && p.Observed != p.Expected {
			ps = append(ps, p)
		}
	}
	head := o.paint(styMismatch, fmt.Sprintf("mismatches (%d):", len(ps)))
	return m.probeLines(o, head, ps, maxMismatches, func(p probe) string {
		s := fmt.Sprintf("observed %s, expected %s", verdictWord(p.Observed), verdictWord(p.Expected))
		if p.Expected && p.Audited {
			s += " by audit mode" // a denied probe here means audit mode was not applied
		}
		return s
	})
}

// errorLines lists the probes that failed.
func (m *model) errorLines(o Options) []string {
	var ps []probe
	for _, p := range m.probes {
		if p.Err != nil {
			ps = append(ps, p)
		}
	}
	head := o.paint(styError, fmt.Sprintf("probe errors (%d), lab faults with no verdict:", len(ps)))
	return m.probeLines(o, head, ps, maxErrors, func(p probe) string { return errText(p.Err) })
}

// probeLines is head and one aligned line per probe, "from → to  port/proto IPvN: what  (fromIP → toIP)", at
// most limit of them. When a line would not fit the width, every probe takes two lines instead: "from → to",
// then the rest indented.
func (m *model) probeLines(o Options, head string, ps []probe, limit int, what func(probe) string) []string {
	if len(ps) == 0 {
		return nil
	}
	shown := ps[:min(len(ps), limit)]
	var fromW, toW, keyW int
	for _, p := range shown {
		fromW = max(fromW, textWidth(m.eps[p.from].name))
		toW = max(toW, textWidth(m.eps[p.to].name))
		keyW = max(keyW, textWidth(p.key.String()))
	}
	type entry struct{ who, rest string }
	entries := make([]entry, len(shown))
	long := false
	for i, p := range shown {
		e := entry{who: padRight(m.eps[p.from].name, fromW) + " → " + padRight(m.eps[p.to].name, toW)}
		detail := what(p)
		e.rest = padRight(p.key.String(), keyW) + " " + p.fam.String() + ": " + detail
		if ips := addrPair(p.Result); ips != "" && !mentions(detail, p.FromIP, p.ToIP) {
			e.rest += "  " + o.paint(styDim, ips)
		}
		entries[i] = e
		long = long || textWidth("  "+e.who+"  "+e.rest) > o.width()
	}
	out := []string{head}
	for _, e := range entries {
		if long {
			out = append(out, "  "+strings.TrimRight(e.who, " "), "      "+e.rest)
		} else {
			out = append(out, "  "+e.who+"  "+e.rest)
		}
	}
	if n := len(ps) - len(shown); n > 0 {
		out = append(out, fmt.Sprintf("  … and %d more", n))
	}
	return out
}

// mentions tells whether text names both addresses already (an error message often does).
func mentions(text string, a, b netip.Addr) bool {
	return a.IsValid() && b.IsValid() && strings.Contains(text, a.String()) && strings.Contains(text, b.String())
}

// addrPair is "(10.0.0.1 → 10.0.0.2)", "" when neither address is known.
func addrPair(r Result) string {
	if !r.FromIP.IsValid() && !r.ToIP.IsValid() {
		return ""
	}
	return "(" + addrText(r.FromIP) + " → " + addrText(r.ToIP) + ")"
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "?"
	}
	return a.String()
}

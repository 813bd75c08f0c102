package view

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// res is a probe from x/a to x/b on TCP port p over IPv4 (IPv6 when v6): allow observed and expected, audited
// when audit mode let it through.
func res(p uint16, v6, allow, audited bool) Result {
	r := Result{From: "x/a", To: "x/b", FromIP: netipMust("10.0.0.10"), ToIP: netipMust("10.0.0.11"), Port: p,
		Protocol: "TCP", Observed: allow, Expected: allow, Audited: audited}
	if v6 {
		r.FromIP, r.ToIP = netipMust("fd00::10"), netipMust("fd00::11")
	}
	return r
}

// The matrix cell of a pair with audited probes: "a" whatever else the pair holds, but a mismatch or an error
// still shows as such; without audited probes the cell is what it was.
func TestAuditPairCell(t *testing.T) {
	audited := func(p uint16) Result { return res(p, false, true, true) }
	allowed := func(p uint16) Result { return res(p, false, true, false) }
	denied := func(p uint16) Result { return res(p, false, false, false) }
	mismatch := audited(443)
	mismatch.Observed = false
	failed := audited(443)
	failed.Err = errTimeout
	for _, tc := range []struct {
		name       string
		rs         []Result
		want       string
		kind       cellKind
		allAudited bool
	}{
		{"all audited", []Result{audited(80), audited(443)}, glyphAudit, cAudit, true},
		{"allowed and audited", []Result{allowed(80), audited(443)}, glyphAudit, cAudit, false},
		{"audited and denied", []Result{audited(80), denied(443)}, glyphAudit, cAudit, false},
		{"one family audited", []Result{allowed(80), res(80, true, true, true)}, glyphAudit, cAudit, false},
		{"mismatch wins", []Result{audited(80), mismatch}, glyphMismatch, cMismatch, false},
		{"error wins", []Result{audited(80), failed}, glyphError, cError, false},
		{"no audit: port list", []Result{allowed(80), denied(443)}, "80t", cPorts, false},
		{"no audit: allowed", []Result{allowed(80), allowed(443)}, glyphAllow, cAllow, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newModel(tc.rs)
			s := m.pairs[pair{0, 1}]
			for _, compact := range []bool{false, true} {
				want, kind := tc.want, tc.kind
				if compact && kind == cPorts {
					want, kind = glyphPartial, cPartial // compact has no port lists
				}
				if c := pairCell(s, compact); c.text != want || c.kind != kind {
					t.Errorf("compact %v: cell %q (kind %d), want %q (kind %d)", compact, c.text, c.kind, want, kind)
				}
			}
			if got := s.all.allAudited(); got != tc.allAudited {
				t.Errorf("allAudited = %v, want %v", got, tc.allAudited)
			}
		})
	}
}

// The per-port cell: "a" for a port audit mode let through in some family, not "v4"/"v6" (which say the other
// family is denied) nor "◐" (which says repeated probes disagree).
func TestAuditKeyCell(t *testing.T) {
	m := newModel([]Result{res(80, false, true, false), res(80, true, true, true), res(443, false, true, false),
		res(443, true, false, false)})
	s := m.pairs[pair{0, 1}]
	if c := keyCell(s.keys[probeKey{"TCP", 80}]); c.text != glyphAudit || c.kind != cAudit {
		t.Errorf("80/TCP allowed over IPv4, audited over IPv6: cell %q, want %q", c.text, glyphAudit)
	}
	if c := keyCell(s.keys[probeKey{"TCP", 443}]); c.text != "v4" || c.kind != cFamily {
		t.Errorf("443/TCP allowed over IPv4 only: cell %q, want v4", c.text)
	}
}

// The per-port table spells out an "a" pair unless every probe of it was audited; the matrix key explains "a".
func TestAuditPortTable(t *testing.T) {
	matrix := func(rs ...Result) string {
		var b bytes.Buffer
		if err := Matrix(&b, rs, Options{}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	back := func(r Result) Result {
		r.From, r.To, r.FromIP, r.ToIP = r.To, r.From, r.ToIP, r.FromIP
		return r
	}
	whole := matrix(res(80, false, true, true), back(res(80, false, true, false)))
	if strings.Contains(whole, "by port") {
		t.Errorf("a wholly audited pair on one port got a per-port table:\n%s", whole)
	}
	if !strings.Contains(whole, glyphAudit+" some or all pass only because of audit mode") {
		t.Errorf("the key does not explain %q:\n%s", glyphAudit, whole)
	}
	part := matrix(res(80, false, true, true), res(443, false, true, false), back(res(80, false, true, false)))
	if !strings.Contains(part, `by port, for the pairs shown as "a":`) ||
		!strings.Contains(part, "a       ✓     x/a → x/b") {
		t.Errorf("a partly audited pair is not spelled out by port:\n%s", part)
	}
}

// The summary counts the probes that passed only because of audit mode, as part of the allowed; one audit mode
// should have let through but was denied is a mismatch, not counted.
func TestAuditSummary(t *testing.T) {
	missed := res(8080, false, true, true)
	missed.Observed = false
	rs := []Result{res(80, false, true, true), res(443, false, true, true), res(53, false, true, false),
		res(22, false, false, false), missed}
	want := "5 probes · 3 allow · 2 would be denied without audit mode · 2 deny · 1 mismatch"
	if got := Summary(rs, 0, Options{}); got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	colored := Summary(rs, 0, Options{Color: true})
	if !strings.Contains(colored, "\x1b[36m2 would be denied without audit mode\x1b[0m") {
		t.Errorf("the audit count is not cyan: %q", colored)
	}
	one := Summary(rs[:1], time.Second, Options{})
	want = "1 probe · 1 allow · 1 would be denied without audit mode · 0 deny · 0 mismatches, all as expected · 1.0s"
	if one != want {
		t.Errorf("Summary = %q, want %q", one, want)
	}
	if got := Summary(rs[2:4], 0, Options{}); strings.Contains(got, "audit") {
		t.Errorf("no audited probe, yet %q", got)
	}
}

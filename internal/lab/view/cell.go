package view

import (
	"slices"
	"strings"
)

// cellKind is what a cell of the matrix or of the per-port table says.
type cellKind uint8

const (
	cNone     cellKind = iota // "-": not probed
	cAllow                    // "✓"
	cDeny                     // "·"
	cPorts                    // "80t,53u": only these allowed
	cPartial                  // "◐": partly allowed
	cFamily                   // "v4", "v6": allowed in one family only (per-port table)
	cAudit                    // "a": some or all passed only because of audit mode
	cMismatch                 // "✗"
	cError                    // "?"
	numCellKinds
)

var kindStyle = [numCellKinds]style{
	cNone: styDim, cAllow: styAllow, cDeny: styDeny, cPorts: styPartial, cPartial: styPartial,
	cFamily: styPartial, cAudit: styAudit, cMismatch: styMismatch, cError: styError,
}

const (
	glyphNone     = "-"
	glyphAllow    = "✓"
	glyphDeny     = "·"
	glyphPartial  = "◐"
	glyphAudit    = "a" // ASCII, so it reads the same without colour or symbol fonts; a port list starts with a digit
	glyphMismatch = "✗"
	glyphError    = "?"
)

// maxPortList is the widest port list a cell shows; a longer one becomes "◐".
const maxPortList = 11

type cell struct {
	text string
	kind cellKind
	keys []probeKey // cPorts: the allowed ports
}

func (c cell) paint(o Options) string { return o.paint(kindStyle[c.kind], c.text) }

// verdictCell is the cell of a verdict other than vMixed.
func verdictCell(v verdict) cell {
	switch v {
	case vAllow:
		return cell{text: glyphAllow, kind: cAllow}
	case vDeny:
		return cell{text: glyphDeny, kind: cDeny}
	case vMismatch:
		return cell{text: glyphMismatch, kind: cMismatch}
	case vError:
		return cell{text: glyphError, kind: cError}
	case vMixed:
		return cell{text: glyphPartial, kind: cPartial}
	case vAudit:
		return cell{text: glyphAudit, kind: cAudit}
	}
	return cell{text: glyphNone, kind: cNone}
}

// pairCell sums up a pair in the matrix. A partly allowed pair lists its allowed ports when every port is either
// allowed or denied in every family and the list is short, unless compact asks for the one-cell "◐". A pair with
// a probe that passed only because of audit mode is "a" (see verdict), never a port list: the list would call a
// port allowed that enforcement denies.
func pairCell(s *pairStats, compact bool) cell {
	v := s.verdict()
	if v != vMixed || compact {
		return verdictCell(v)
	}
	var allowed []probeKey
	for k, ks := range s.keys {
		switch ks.all.verdict() {
		case vAllow:
			allowed = append(allowed, k)
		case vDeny:
		default:
			return verdictCell(vMixed)
		}
	}
	slices.SortFunc(allowed, probeKey.compare)
	parts := make([]string, len(allowed))
	for i, k := range allowed {
		parts[i] = k.short()
	}
	text := strings.Join(parts, ",")
	if textWidth(text) > maxPortList {
		return verdictCell(vMixed)
	}
	return cell{text: text, kind: cPorts, keys: allowed}
}

// keyCell is the cell of one port of a pair in the per-port table: "v4"/"v6" when the port is allowed in that
// family only, "a" when a probe of the port passed only because of audit mode, "◐" when repeated probes of a
// family disagree.
func keyCell(k *keyStats) cell {
	if k == nil {
		return verdictCell(vNone)
	}
	v := k.all.verdict()
	if v != vMixed {
		return verdictCell(v)
	}
	if f, ok := k.onlyFamily(); ok {
		return cell{text: [numFamilies]string{"v4", "v6", "v?"}[f], kind: cFamily}
	}
	return verdictCell(vMixed)
}

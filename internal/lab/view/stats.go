package view

// outcome counts probes.
type outcome struct {
	allowed, denied int // observed, of the probes that did not fail
	failed          int // Result.Err set
	mismatched      int // observed is not expected (of the probes that did not fail)
	// audited: of the allowed, those that passed only because of audit mode (Result.Audited). A probe expected to
	// pass by audit mode that was denied is a mismatch, not audited: it did not pass.
	audited int
}

func (o *outcome) add(r Result) {
	switch {
	case r.Err != nil:
		o.failed++
		return
	case r.Observed:
		o.allowed++
		if r.Audited {
			o.audited++
		}
	default:
		o.denied++
	}
	if r.Observed != r.Expected {
		o.mismatched++
	}
}

// verdict is what a set of probes amounts to, most alarming first: a mismatch is a bug and shows even beside a
// failed probe. Then audit mode: a set with any probe that passed only because of it is vAudit whatever else it
// holds (really allowed or denied probes), so that every pair enforcement would change is marked, and the
// per-port table tells which of its probes.
type verdict uint8

const (
	vNone verdict = iota // nothing probed
	vAllow
	vDeny
	vMixed
	vAudit // some (or all) passed only because of audit mode
	vError
	vMismatch
)

func (o outcome) verdict() verdict {
	switch {
	case o.mismatched > 0:
		return vMismatch
	case o.failed > 0:
		return vError
	case o.allowed+o.denied == 0:
		return vNone
	case o.audited > 0:
		return vAudit
	case o.denied == 0:
		return vAllow
	case o.allowed == 0:
		return vDeny
	}
	return vMixed
}

// allAudited tells whether every probe passed only because of audit mode: an "a" that needs no per-port table.
func (o outcome) allAudited() bool { return o.audited > 0 && o.audited == o.allowed+o.denied+o.failed }

// keyStats counts the probes of one pair on one port, per family.
type keyStats struct {
	all outcome
	fam [numFamilies]outcome
}

// pairStats counts the probes of one ordered pair.
type pairStats struct {
	all  outcome
	keys map[probeKey]*keyStats
}

func (s *pairStats) add(p probe) {
	s.all.add(p.Result)
	k := s.keys[p.key]
	if k == nil {
		k = &keyStats{}
		s.keys[p.key] = k
	}
	k.all.add(p.Result)
	k.fam[p.fam].add(p.Result)
}

// verdict is the verdict of all probes of the pair; nil (not probed) is vNone.
func (s *pairStats) verdict() verdict {
	if s == nil {
		return vNone
	}
	return s.all.verdict()
}

// onlyFamily is the family a port is allowed in when it is allowed in exactly one and denied in the others.
func (k *keyStats) onlyFamily() (family, bool) {
	allowedIn, denied := -1, 0
	for f, o := range k.fam {
		switch o.verdict() {
		case vAllow:
			if allowedIn >= 0 {
				return 0, false
			}
			allowedIn = f
		case vDeny:
			denied++
		case vNone:
		default:
			return 0, false
		}
	}
	return family(allowedIn), allowedIn >= 0 && denied > 0
}

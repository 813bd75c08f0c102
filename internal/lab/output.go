package lab

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/nftpolicy/nftpolicy/internal/lab/view"
)

// jsonProbe is one line of `--once -o json`.
type jsonProbe struct {
	Scenario string `json:"scenario"`
	From     string `json:"from"`
	To       string `json:"to"`
	FromIP   string `json:"fromIP"`
	ToIP     string `json:"toIP"`
	Port     uint16 `json:"port"`
	Protocol string `json:"protocol"`
	Observed string `json:"observed"`
	Expected string `json:"expected"`
	// Audited: expected to pass only because of audit mode (enforced, denied); left out when false, so that
	// output without audit mode is what it was.
	Audited bool `json:"audited,omitempty"`
	// DecidedBy is the ClusterNetworkPolicy rule that decided the expected verdict (view.DecidedBy); left out when
	// NetworkPolicies or the default decided.
	DecidedBy string `json:"decidedBy,omitempty"`
}

func verdict(allow bool) string {
	if allow {
		return "allow"
	}
	return "deny"
}

// writeJSON writes one JSON object per probe.
func writeJSON(w io.Writer, scenario string, rs []view.Result) error {
	enc := json.NewEncoder(w)
	for _, r := range rs {
		err := enc.Encode(jsonProbe{
			Scenario: scenario, From: r.From, To: r.To, FromIP: r.FromIP.String(), ToIP: r.ToIP.String(),
			Port: r.Port, Protocol: r.Protocol, Observed: verdict(r.Observed), Expected: verdict(r.Expected),
			Audited: r.Audited, DecidedBy: r.DecidedBy,
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tally counts probes whose observed verdict is (passed) and is not (failed) the expected one.
type tally struct{ passed, failed int }

func (t *tally) add(rs []view.Result) {
	for _, r := range rs {
		if r.Observed == r.Expected {
			t.passed++
		} else {
			t.failed++
		}
	}
}

func (t tally) String() string { return fmt.Sprintf("%d passed, %d failed", t.passed, t.failed) }

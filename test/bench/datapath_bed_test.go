package bench

import (
	"testing"

	"github.com/nftpolicy/nftpolicy/internal/labnet"
)

// TestDatapathBed keeps BenchmarkDatapath honest in `make test`: on a routed testbed, each ruleset of the
// smallest size (nftpolicy-cnp included) loads, lets the client through and stops the intruder (conntrack only
// stops nobody), a phase measures, and everything unloads so the next one starts from no filtering.
func TestDatapathBed(t *testing.T) {
	sets, err := rulesets(datapathSizes[:1])
	if err != nil {
		t.Fatal(err)
	}
	d := newBed(t, labnet.Routed)
	if err := d.check(false); err != nil {
		t.Fatalf("no filter: %v", err)
	}
	for _, s := range sets {
		if err := s.load(d); err != nil {
			t.Fatalf("load %s: %v", s.name, err)
		}
		if err := d.check(s.enforcing); err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		if _, err := d.measure(); err != nil {
			t.Errorf("%s: measure: %v", s.name, err)
		}
		if err := s.unload(d); err != nil {
			t.Fatalf("unload %s: %v", s.name, err)
		}
		if err := d.check(false); err != nil {
			t.Errorf("after unloading %s: %v", s.name, err)
		}
	}
}

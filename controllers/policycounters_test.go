package controllers

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

type fakeCounters struct {
	rules []kernel.RuleCounter
	err   error
}

func (f *fakeCounters) Counters() ([]kernel.RuleCounter, error) { return f.rules, f.err }

// countersFixture: an ingress chain shared by x/a and x/b (rule 0 allows, rule 1 drops) whose pods are also
// subjects of the Admin ClusterNetworkPolicy k (rule 2: its Accept lookup) with a deny chain of its own, an
// egress chain of x/a alone, an ingress chain of y/c in audit mode, and counters of a chain and a rule the index
// does not know, which count for nobody.
func countersFixture() (*fakeCounters, *atomic.Pointer[chainIndex]) {
	a, b, c := ir.PolicyRef{Namespace: "x", Name: "a"}, ir.PolicyRef{Namespace: "x", Name: "b"}, ir.PolicyRef{Namespace: "y", Name: "c"}
	k := ir.PolicyRef{Name: "k"}
	of := func(tier ir.Tier) func(string, ...ir.PolicyRef) countedRule {
		return func(verdict string, refs ...ir.PolicyRef) countedRule {
			c := countedRule{Verdict: verdict}
			for _, r := range refs {
				c.For = append(c.For, tiered{Policy: r, Tier: tier})
			}
			return c
		}
	}
	np, admin := of(0), of(ir.Admin)
	idx := chainIndex{
		"ing": {Direction: ir.Ingress, Policies: []ir.PolicyRef{a, b},
			Counted: map[int]countedRule{0: np(verdictAllow, a, b), 1: np(verdictDrop, a, b), 2: admin(verdictAllow, k)}},
		"ing-ad": {Direction: ir.Ingress, Tier: ir.Admin, Policies: []ir.PolicyRef{k},
			Counted: map[int]countedRule{1: admin(verdictDrop, k)}},
		"egr": {Direction: ir.Egress, Policies: []ir.PolicyRef{a}, Counted: map[int]countedRule{0: np(verdictAllow, a), 2: np(verdictDrop, a)}},
		"aud": {Direction: ir.Ingress, Policies: []ir.PolicyRef{c}, Audit: true,
			Counted: map[int]countedRule{0: np(verdictAllow, c), 1: np(verdictAudit, c)}},
	}
	var p atomic.Pointer[chainIndex]
	p.Store(&idx)
	return &fakeCounters{rules: []kernel.RuleCounter{
		{Chain: "ing", Rule: 0, Packets: 10, Bytes: 1000},
		{Chain: "ing", Rule: 1, Packets: 3, Bytes: 300},
		{Chain: "ing", Rule: 2, Packets: 5, Bytes: 500},
		{Chain: "ing-ad", Rule: 0, Packets: 77, Bytes: 7700}, // its log rule
		{Chain: "ing-ad", Rule: 1, Packets: 8, Bytes: 800},
		{Chain: "egr", Rule: 0, Packets: 7, Bytes: 700},
		{Chain: "egr", Rule: 1, Packets: 99, Bytes: 9900}, // not a counted verdict rule
		{Chain: "egr", Rule: 2, Packets: 2, Bytes: 200},
		{Chain: "aud", Rule: 0, Packets: 4, Bytes: 400},
		{Chain: "aud", Rule: 1, Packets: 6, Bytes: 600},
		{Chain: "other", Rule: 0, Packets: 50, Bytes: 5000},
	}}, &p
}

// TestPolicyCountsAgreeWithTheMetric: counts (for the status) and Collect (for /metrics) say the same packets
// per policy, tier, direction and verdict, a shared chain counting for each of its policies, a ClusterNetworkPolicy
// counting its tier's lookups and deny chain in metrics of its own (NetworkPolicy's keep their four labels).
func TestPolicyCountsAgreeWithTheMetric(t *testing.T) {
	fc, idx := countersFixture()
	pc := newPolicyCounters(fc, idx)
	counts, err := pc.counts()
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(counts, func(a, b policyCount) int {
		return cmp.Or(cmp.Compare(a.policy.String(), b.policy.String()), cmp.Compare(a.direction, b.direction))
	})
	var got []string
	for _, c := range counts {
		got = append(got, fmt.Sprintf("%s[%s] %s allow=%d drop=%d audit=%d", c.policy, tierName(c.tier), c.direction,
			c.allowed, c.dropped, c.audited))
	}
	want := []string{"k[Admin] ingress allow=5 drop=8 audit=0",
		"x/a[] egress allow=7 drop=2 audit=0", "x/a[] ingress allow=10 drop=3 audit=0",
		"x/b[] ingress allow=10 drop=3 audit=0", "y/c[] ingress allow=4 drop=0 audit=6"}
	if !slices.Equal(got, want) {
		t.Errorf("counts\n%q\nwant\n%q", got, want)
	}

	reg := prometheus.NewRegistry()
	if err := pc.register(reg); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var metric []string
	for _, f := range families {
		name := f.GetName()
		if name != "nftpolicy_policy_packets_total" && name != "nftpolicy_cluster_policy_packets_total" {
			continue
		}
		for _, m := range f.Metric {
			l := labelMap(m)
			policy := l["namespace"] + "/" + l["policy"]
			if name == "nftpolicy_cluster_policy_packets_total" {
				policy = l["policy"]
			}
			metric = append(metric, fmt.Sprintf("%s[%s] %s %s=%g (%d labels)", policy, l["tier"], l["direction"],
				l["verdict"], m.GetCounter().GetValue(), len(l)))
		}
	}
	slices.Sort(metric)
	wantMetric := []string{"k[Admin] ingress allow=5 (4 labels)", "k[Admin] ingress drop=8 (4 labels)",
		"x/a[] egress allow=7 (4 labels)", "x/a[] egress drop=2 (4 labels)", "x/a[] ingress allow=10 (4 labels)",
		"x/a[] ingress drop=3 (4 labels)", "x/b[] ingress allow=10 (4 labels)", "x/b[] ingress drop=3 (4 labels)",
		"y/c[] ingress allow=4 (4 labels)", "y/c[] ingress audit=6 (4 labels)"}
	if !slices.Equal(metric, wantMetric) {
		t.Errorf("metric\n%q\nwant\n%q", metric, wantMetric)
	}
}

// TestPolicyCountsErrorsAndNoTable: a failed read is an error for counts (and a counted error for a scrape);
// before the first table there is nothing to count.
func TestPolicyCountsErrorsAndNoTable(t *testing.T) {
	fc, idx := countersFixture()
	fc.err = errors.New("netlink: boom")
	pc := newPolicyCounters(fc, idx)
	if _, err := pc.counts(); err == nil {
		t.Error("counts: no error from a failed read")
	}
	ch := make(chan prometheus.Metric, 16)
	pc.Collect(ch)
	if len(ch) != 0 || value(t, pc.errors) != 1 {
		t.Errorf("failed scrape: %d metrics, errors counter %g; want 0 and 1", len(ch), value(t, pc.errors))
	}

	pc = newPolicyCounters(&fakeCounters{}, &atomic.Pointer[chainIndex]{})
	if counts, err := pc.counts(); err != nil || len(counts) != 0 {
		t.Errorf("no table yet: %v, %v; want nothing", counts, err)
	}
}

func labelMap(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.Label {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

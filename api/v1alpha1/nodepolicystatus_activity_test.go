package v1alpha1

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// TestSetRecentDropsNewestFirstCapped: newest first whatever the input order, at most MaxRecentDrops (the
// newest ones), each with at most MaxDropPolicies policies, and the argument left alone.
func TestSetRecentDropsNewestFirstCapped(t *testing.T) {
	base := time.Unix(1_800_000_000, 0)
	var in []DropRecord
	for i := range MaxRecentDrops + 5 { // oldest first, as the agent's drop log keeps them
		in = append(in, DropRecord{Time: metav1.NewTime(base.Add(time.Duration(i) * time.Second)),
			Src: fmt.Sprint(i), Policies: make([]string, MaxDropPolicies+3)})
	}
	orig := slices.Clone(in)
	var s NodePolicyStatusStatus
	s.SetRecentDrops(in)
	if len(s.RecentDrops) != MaxRecentDrops {
		t.Fatalf("%d drops, want %d", len(s.RecentDrops), MaxRecentDrops)
	}
	if first, last := s.RecentDrops[0].Src, s.RecentDrops[MaxRecentDrops-1].Src; first != fmt.Sprint(MaxRecentDrops+4) || last != "5" {
		t.Errorf("first %s, last %s: want the newest (%d) first and the oldest kept (5) last", first, last, MaxRecentDrops+4)
	}
	for _, d := range s.RecentDrops {
		if len(d.Policies) != MaxDropPolicies {
			t.Errorf("drop %s names %d policies, want %d", d.Src, len(d.Policies), MaxDropPolicies)
		}
	}
	if !slices.EqualFunc(in, orig, func(a, b DropRecord) bool { return a.Src == b.Src && len(a.Policies) == len(b.Policies) }) {
		t.Error("the argument was modified")
	}
	s.SetRecentDrops(nil)
	if s.RecentDrops != nil {
		t.Error("no drops: want a nil list, so that it is omitted")
	}
}

// TestSetBusiestPolicies: most dropped first, then most audited, then most allowed, ties by namespace, name and
// direction; idle policies left out; at most MaxBusiestPolicies.
func TestSetBusiestPolicies(t *testing.T) {
	pc := func(ns, name, dir string, allowed, dropped int64) PolicyCounts {
		return PolicyCounts{ObjectRef: ObjectRef{Namespace: ns, Name: name}, Direction: dir,
			AllowedPackets: allowed, DroppedPackets: dropped}
	}
	audited := pc("d", "audit", "ingress", 1, 0)
	audited.AuditedPackets = 2
	var s NodePolicyStatusStatus
	s.SetBusiestPolicies([]PolicyCounts{
		pc("b", "x", "ingress", 100, 0),
		pc("a", "idle", "ingress", 0, 0),
		audited,
		pc("b", "x", "egress", 1, 5),
		pc("a", "y", "ingress", 1, 5),
		pc("a", "y", "egress", 1, 5),
		pc("c", "z", "ingress", 0, 9),
	})
	var got []string
	for _, p := range s.BusiestPolicies {
		got = append(got, fmt.Sprintf("%s/%s %s", p.Namespace, p.Name, p.Direction))
	}
	want := []string{"c/z ingress", "a/y egress", "a/y ingress", "b/x egress", "d/audit ingress", "b/x ingress"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}

	many := make([]PolicyCounts, 3*MaxBusiestPolicies)
	for i := range many {
		many[i] = pc("ns", fmt.Sprintf("p%02d", i), "ingress", 0, int64(i))
	}
	s.SetBusiestPolicies(many)
	if len(s.BusiestPolicies) != MaxBusiestPolicies || s.BusiestPolicies[0].DroppedPackets != int64(len(many)-1) {
		t.Errorf("kept %d, first %+v; want %d, the busiest first", len(s.BusiestPolicies), s.BusiestPolicies[0], MaxBusiestPolicies)
	}
	s.SetBusiestPolicies([]PolicyCounts{pc("a", "idle", "ingress", 0, 0)})
	if s.BusiestPolicies != nil {
		t.Error("only idle policies: want a nil list")
	}
}

// TestActivityCapsMatchCRD: the setters' caps are the CRD's maxItems, so the agent never writes a status the
// API server refuses for a long list.
func TestActivityCapsMatchCRD(t *testing.T) {
	data, err := os.ReadFile("../../config/crd/bases/nftpolicy.dev_nodepolicystatuses.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type schema struct {
		MaxItems   *int              `json:"maxItems"`
		Items      *schema           `json:"items"`
		Properties map[string]schema `json:"properties"`
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &crd); err != nil {
		t.Fatal(err)
	}
	status := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"].Properties
	drops := status["recentDrops"]
	var policies schema
	if drops.Items != nil {
		policies = drops.Items.Properties["policies"]
	}
	for _, c := range []struct {
		field string
		got   *int
		want  int
	}{
		{"recentDrops", drops.MaxItems, MaxRecentDrops},
		{"recentDrops[].policies", policies.MaxItems, MaxDropPolicies},
		{"busiestPolicies", status["busiestPolicies"].MaxItems, MaxBusiestPolicies},
	} {
		if c.got == nil || *c.got != c.want {
			t.Errorf("CRD status.%s maxItems %v, want %d", c.field, c.got, c.want)
		}
	}
}

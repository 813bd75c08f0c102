package plugin

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// fixtureItems are the NodePolicyStatus objects of activityFixture, sorted by node as statuses returns them.
func fixtureItems() []v1alpha1.NodePolicyStatus {
	var items []v1alpha1.NodePolicyStatus
	for node, st := range activityFixture() {
		items = append(items, v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: node}, Status: st})
	}
	slices.SortFunc(items, func(a, b v1alpha1.NodePolicyStatus) int { return strings.Compare(a.Name, b.Name) })
	return items
}

// TestTopNamesClusterPolicies: top names a ClusterNetworkPolicy by its name and tier, not "/name", sums it over
// the nodes, and keeps its tier in JSON.
func TestTopNamesClusterPolicies(t *testing.T) {
	lines := topLines(fixtureItems())
	var buf bytes.Buffer
	writeTop(&buf, lines)
	text := buf.String()
	if strings.Contains(text, " /") || strings.Contains(text, "\n/") {
		t.Errorf("a policy without a namespace printed as /name:\n%s", text)
	}
	for _, want := range []string{"\ndeny-db (Admin cnp)  ", "\nallow-dns (Baseline cnp)  "} {
		if !strings.Contains(text, want) {
			t.Errorf("no line starting %q in\n%s", strings.TrimSpace(want), text)
		}
	}
	i := slices.IndexFunc(lines, func(l topLine) bool { return l.Name == "deny-db" })
	if i < 0 || lines[i].Tier != "Admin" || lines[i].DroppedPackets != 8 || len(lines[i].Nodes) != 2 {
		t.Fatalf("deny-db: %+v; want Admin, 8 dropped on 2 nodes", lines)
	}
	b, err := json.Marshal(lines[i])
	if err != nil || !strings.Contains(string(b), `"tier":"Admin"`) {
		t.Errorf("JSON %s (%v) lacks the tier", b, err)
	}
}

// TestDropsSayTheTier: a drop by a ClusterNetworkPolicy's Deny rule says which tier and policy denied it, not
// that NetworkPolicy isolated the pod.
func TestDropsSayTheTier(t *testing.T) {
	reasons := map[string]string{}
	for _, l := range dropLines(fixtureItems()) {
		reasons[l.Src+" → "+l.Dst+" "+l.Tier] = l.Reason
	}
	for conn, want := range map[string]string{
		"beta/web → alpha/db Admin": "denied by Admin ClusterNetworkPolicy deny-db: a Deny rule of beta/web's egress matches alpha/db",
		"10.0.0.5 → gamma/web Baseline": "denied by one of the Baseline ClusterNetworkPolicies default-deny, lock-gamma: " +
			"a Deny rule of gamma/web's ingress matches 10.0.0.5",
		"beta/web → 203.0.113.9 ": "beta/web is isolated for egress: no rule of its policies lets it reach 203.0.113.9",
	} {
		if got := reasons[conn]; got != want {
			t.Errorf("%s: reason %q, want %q", conn, got, want)
		}
	}
	d := v1alpha1.DropRecord{Direction: "ingress", Src: "a/x", Dst: "b/y", Tier: "Admin", Policies: []string{"p"}, Audit: true}
	if got, want := dropReason(d), "denied by Admin ClusterNetworkPolicy p: a Deny rule of b/y's ingress matches a/x (audit mode: let through)"; got != want {
		t.Errorf("audited: %q, want %q", got, want)
	}
}

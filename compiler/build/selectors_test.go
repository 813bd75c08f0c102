package build

import (
	"fmt"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestPeers resolves one ingress rule of policy x/p (selecting x/a) in the standard cluster and checks its peers.
func TestPeers(t *testing.T) {
	const (
		in           = metav1.LabelSelectorOpIn
		notIn        = metav1.LabelSelectorOpNotIn
		exists       = metav1.LabelSelectorOpExists
		doesNotExist = metav1.LabelSelectorOpDoesNotExist
	)
	tests := []struct {
		name  string
		peers []any
		extra []any
		want  string
	}{
		{"matchLabels, policy namespace only", []any{pods(match("app", "b"))}, nil, "x/b"},
		{"In", []any{pods(exprs(expr("tier", in, "web", "db")))}, nil, "x/a,x/b"},
		{"NotIn matches pods without the key", []any{pods(exprs(expr("tier", notIn, "web")))}, nil, "x/b,x/c"},
		{"Exists", []any{pods(exprs(expr("tier", exists)))}, nil, "x/a,x/b"},
		{"DoesNotExist matches pods without the key", []any{pods(exprs(expr("tier", doesNotExist)))}, nil, "x/c"},
		{"expressions AND", []any{pods(exprs(expr("app", in, "a", "b"), expr("tier", notIn, "db")))}, nil, "x/a"},
		{"matchLabels AND matchExpressions", []any{pods(&metav1.LabelSelector{
			MatchLabels: map[string]string{"app": "b"}, MatchExpressions: []metav1.LabelSelectorRequirement{expr("tier", exists)}})},
			nil, "x/b"},
		{"pod selector matching nothing", []any{pods(match("app", "nope"))}, nil, "none"},
		{"namespaceSelector alone: all pods of matching namespaces", []any{namespaces(match("team", "blue"))}, nil,
			"x/a,x/b,x/c,z/a"},
		{"namespace In", []any{namespaces(exprs(expr("team", in, "red")))}, nil, "y/a,y/b"},
		{"namespace NotIn matches namespaces without the key, implicit ones too",
			[]any{namespaces(exprs(expr("env", notIn, "prod")))}, nil, "y/a,y/b,z/a,w/a"},
		{"namespace Exists", []any{namespaces(exprs(expr("team", exists)))}, nil, "x/a,x/b,x/c,y/a,y/b,z/a"},
		{"namespace DoesNotExist", []any{namespaces(exprs(expr("env", doesNotExist)))}, nil, "z/a,w/a"},
		{"namespace and pod selector in one peer: AND", []any{both(match("team", "blue"), match("app", "a"))}, nil,
			"x/a,z/a"},
		{"two peers: OR", []any{pods(match("app", "b")), namespaces(match("team", "red"))}, nil, "x/b,y/a,y/b"},
		{"overlapping peers are deduplicated", []any{pods(match("app", "b")), pods(exprs(expr("tier", exists)))}, nil,
			"x/a,x/b"},
		{"kubernetes.io/metadata.name", []any{namespaces(match("kubernetes.io/metadata.name", "y"))}, nil, "y/a,y/b"},
		{"implicit namespace has its name label", []any{namespaces(match("kubernetes.io/metadata.name", "w"))}, nil, "w/a"},
		{"metadata.name label is forced to the name",
			[]any{namespaces(match("kubernetes.io/metadata.name", "x"))},
			[]any{namespace("v", "kubernetes.io/metadata.name", "x"), pod("v", "a", onNode("n2"), ip("10.5.0.1"))},
			"x/a,x/b,x/c"},
		{"empty podSelector: every pod of the policy's namespace", []any{pods(match())}, nil, "x/a,x/b,x/c"},
		{"empty namespaceSelector: every pod", []any{namespaces(match())}, nil, "x/a,x/b,x/c,y/a,y/b,z/a,w/a"},
		{"empty namespaceSelector and podSelector", []any{both(match(), match("app", "b"))}, nil, "x/b,y/b"},
		{"empty from: any address", nil, nil, "any"},
		{"ipBlock with except", []any{block("10.1.0.0/16", "10.1.0.2/32", "10.1.0.0/30")}, nil,
			`10.1.0.0/16\10.1.0.0/30\10.1.0.2/32`},
		{"ipBlock with host bits set means its network", []any{block("10.1.0.1/16", "10.1.2.3/24")}, nil,
			`10.1.0.0/16\10.1.2.0/24`},
		{"ipBlock IPv6", []any{block("fd00::/16", "fd00::1:0/112")}, nil, `fd00::/16\fd00::1:0/112`},
		{"ipBlocks sorted and deduplicated", []any{block("192.168.0.0/16"), block("10.0.0.0/8"), block("10.0.0.0/8")},
			nil, "10.0.0.0/8,192.168.0.0/16"},
		{"ipBlock does not replace pod peers", []any{pods(match("app", "b")), block("192.168.0.0/24")}, nil,
			"x/b,192.168.0.0/24"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := std(tc.extra...).with(policy("x", "p", selecting("app", "a"), ingress(tc.peers...)))
			n, err := Node(c, "n1")
			if err != nil {
				t.Fatal(err)
			}
			want := lines("ingress|x/p members=x/a", "  x/p[0] peers="+tc.want+" ports=all")
			if got := render(n, c); got != want {
				t.Errorf("got\n%swant\n%s", got, want)
			}
		})
	}
}

// TestLabelIndexAgreesWithScan checks the label index (used from labelIndexMin pods per namespace) against
// testing every pod.
func TestLabelIndexAgreesWithScan(t *testing.T) {
	var ps []podInfo
	for i := range 3 * labelIndexMin {
		l := labels.Set{"app": fmt.Sprint("a", i%7)}
		if i%3 == 0 {
			l["tier"] = fmt.Sprint("t", i%2)
		}
		ps = append(ps, podInfo{labels: l})
		ps[i].ref.Namespace, ps[i].ref.Name = "big", fmt.Sprint(i)
	}
	x := newPodIndex(ps, func(*podInfo) bool { return true })
	sels := []*metav1.LabelSelector{
		match("app", "a3"),
		match("app", "a3", "tier", "t1"),
		exprs(expr("app", metav1.LabelSelectorOpIn, "a1", "a2", "zz")),
		exprs(expr("tier", metav1.LabelSelectorOpExists)),
		exprs(expr("tier", metav1.LabelSelectorOpDoesNotExist)),
		exprs(expr("tier", metav1.LabelSelectorOpNotIn, "t0")),
		exprs(expr("tier", metav1.LabelSelectorOpExists), expr("app", metav1.LabelSelectorOpIn, "a0", "a6")),
		match("app", "none"),
	}
	for _, s := range sels {
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err != nil {
			t.Fatal(err)
		}
		var want []int32
		for i := range ps {
			if sel.Matches(ps[i].labels) {
				want = append(want, int32(i))
			}
		}
		for range 2 { // second time from the cache
			if got := x.match("big", sel, sel.String()); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", sel, got, want)
			}
		}
	}
}

// TestPolicySelectsPods checks spec.podSelector: only pods of the policy's namespace, empty = all of them.
func TestPolicySelectsPods(t *testing.T) {
	deny := func(name string, sel *metav1.LabelSelector) *networkingv1.NetworkPolicy {
		return policy("x", name, podSelector(sel))
	}
	tests := []struct {
		name string
		pol  *networkingv1.NetworkPolicy
		want string
	}{
		{"empty selector: every local pod of the namespace", deny("p", match()), "ingress|x/p members=x/a,x/b\n"},
		{"matchLabels", deny("p", match("app", "b")), "ingress|x/p members=x/b\n"},
		{"NotIn", deny("p", exprs(expr("tier", metav1.LabelSelectorOpNotIn, "db"))), "ingress|x/p members=x/a\n"},
		{"nothing", deny("p", match("app", "nope")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := std(tc.pol)
			n, err := Node(c, "n1")
			if err != nil {
				t.Fatal(err)
			}
			if got := render(n, c); got != tc.want {
				t.Errorf("got\n%swant\n%s", got, tc.want)
			}
		})
	}
}

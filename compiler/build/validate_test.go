package build

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestValidate(t *testing.T) {
	named := func(s string) networkingv1.NetworkPolicyPort {
		v := intstr.FromString(s)
		return networkingv1.NetworkPolicyPort{Port: &v}
	}
	withEnd := func(p networkingv1.NetworkPolicyPort, end int32) networkingv1.NetworkPolicyPort {
		p.EndPort = &end
		return p
	}
	tests := []struct {
		name string
		pol  *networkingv1.NetworkPolicy
		// want is the whole message, or its prefix when it ends in ": " (a wrapped cause follows).
		want  string
		cause bool // errors.Unwrap must give a cause
	}{
		{"valid", policy("x", "ok", selecting("app", "a"), types(networkingv1.PolicyTypeIngress),
			ingress(pods(match("a", "b")), namespaces(match()), block("10.0.0.1/8", "10.1.0.0/16"), tcp(80), named("http"),
				portRange(udp, 1, 65535), protoOnly(sctp))), "", false},
		{"nil", nil, "NetworkPolicy is nil", false},
		{"no name", policy("x", ""), "NetworkPolicy x/: metadata.name: required", false},
		{"no namespace", policy("", "p"), "NetworkPolicy p: metadata.namespace: required", false},
		{"podSelector operator", policy("x", "p", podSelector(exprs(expr("a", "Near", "b")))),
			"NetworkPolicy x/p: spec.podSelector.matchExpressions[0]: invalid requirement: ", true},
		{"podSelector In without values", policy("x", "p", podSelector(exprs(expr("a", metav1.LabelSelectorOpExists),
			expr("b", metav1.LabelSelectorOpIn)))),
			"NetworkPolicy x/p: spec.podSelector.matchExpressions[1]: invalid requirement: ", true},
		{"podSelector Exists with values", policy("x", "p", podSelector(exprs(expr("a", metav1.LabelSelectorOpExists, "v")))),
			"NetworkPolicy x/p: spec.podSelector.matchExpressions[0]: invalid requirement: ", true},
		{"podSelector bad label key", policy("x", "p", selecting("ok", "1", "bad key", "v")),
			"NetworkPolicy x/p: spec.podSelector.matchLabels[bad key]: invalid label: ", true},
		{"podSelector bad label value", policy("x", "p", selecting("k", "bad value")),
			"NetworkPolicy x/p: spec.podSelector.matchLabels[k]: invalid label: ", true},
		{"policyTypes value", policy("x", "p", types(networkingv1.PolicyTypeIngress, "Sideways")),
			`NetworkPolicy x/p: spec.policyTypes[1]: unsupported policy type "Sideways" (want Ingress or Egress)`, false},
		{"policyTypes too many", policy("x", "p", types("Ingress", "Egress", "Ingress")),
			"NetworkPolicy x/p: spec.policyTypes: may not list more than 2 policy types, got 3", false},
		{"protocol", policy("x", "p", ingress(tcp(1)), ingress(portOf("ICMP", 1))),
			`NetworkPolicy x/p: spec.ingress[1].ports[0].protocol: unsupported protocol "ICMP" (want TCP, UDP or SCTP)`, false},
		{"lower-case protocol", policy("x", "p", egress(portOf("tcp", 1))),
			`NetworkPolicy x/p: spec.egress[0].ports[0].protocol: unsupported protocol "tcp" (want TCP, UDP or SCTP)`, false},
		{"port 0", policy("x", "p", ingress(tcp(0))),
			"NetworkPolicy x/p: spec.ingress[0].ports[0].port: invalid port 0 (want 1-65535)", false},
		{"port too large", policy("x", "p", egress(tcp(80), tcp(65536))),
			"NetworkPolicy x/p: spec.egress[0].ports[1].port: invalid port 65536 (want 1-65535)", false},
		{"endPort below port", policy("x", "p", ingress(portRange(corev1.ProtocolTCP, 80, 79))),
			"NetworkPolicy x/p: spec.ingress[0].ports[0].endPort: endPort 79 is less than port 80", false},
		{"endPort too large", policy("x", "p", ingress(portRange(corev1.ProtocolTCP, 80, 65536))),
			"NetworkPolicy x/p: spec.ingress[0].ports[0].endPort: invalid endPort 65536 (want at most 65535)", false},
		{"endPort with named port", policy("x", "p", ingress(withEnd(named("http"), 90))),
			`NetworkPolicy x/p: spec.ingress[0].ports[0].endPort: endPort 90 requires a numeric port, not named port "http"`, false},
		{"endPort without port", policy("x", "p", egress(withEnd(protoOnly(udp), 90))),
			"NetworkPolicy x/p: spec.egress[0].ports[0].endPort: endPort 90 requires a numeric port", false},
		{"bad port name", policy("x", "p", ingress(named("Web_Port"))),
			`NetworkPolicy x/p: spec.ingress[0].ports[0].port: invalid port name "Web_Port": `, false},
		{"numeric string port", policy("x", "p", ingress(named("80"))),
			`NetworkPolicy x/p: spec.ingress[0].ports[0].port: invalid port name "80": must contain at least one letter (a-z)`, false},
		{"empty peer", policy("x", "p", ingress(networkingv1.NetworkPolicyPeer{})),
			"NetworkPolicy x/p: spec.ingress[0].from[0]: must set podSelector, namespaceSelector or ipBlock", false},
		{"ipBlock with selector", policy("x", "p", egress(networkingv1.NetworkPolicyPeer{
			PodSelector: match(), IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}})),
			"NetworkPolicy x/p: spec.egress[0].to[0]: ipBlock may not be combined with podSelector or namespaceSelector", false},
		{"peer podSelector", policy("x", "p", ingress(pods(exprs(expr("a", metav1.LabelSelectorOpNotIn))))),
			"NetworkPolicy x/p: spec.ingress[0].from[0].podSelector.matchExpressions[0]: invalid requirement: ", true},
		{"peer namespaceSelector", policy("x", "p", egress(both(match("-bad", "v"), match()))),
			"NetworkPolicy x/p: spec.egress[0].to[0].namespaceSelector.matchLabels[-bad]: invalid label: ", true},
		{"cidr missing", policy("x", "p", ingress(block(""))),
			"NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.cidr: required", false},
		{"cidr invalid (the documented example)", policy("x", "allow-web", ingress(pods(match()), block("10.0.0/8"))),
			`NetworkPolicy x/allow-web: spec.ingress[0].from[1].ipBlock.cidr: invalid CIDR "10.0.0/8": `, true},
		{"cidr without length", policy("x", "p", ingress(block("10.0.0.1"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.1": `, true},
		{"cidr with leading zeros", policy("x", "p", ingress(block("010.0.0.0/8"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "010.0.0.0/8": `, true},
		{"cidr IPv4-mapped IPv6", policy("x", "p", ingress(block("::ffff:10.0.0.0/104"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "::ffff:10.0.0.0/104": IPv4-mapped IPv6 is ambiguous, write the IPv4 CIDR`, false},
		{"except invalid", policy("x", "p", egress(block("10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/33"))),
			`NetworkPolicy x/p: spec.egress[0].to[0].ipBlock.except[1]: invalid CIDR "10.2.0.0/33": `, true},
		{"except other family", policy("x", "p", ingress(block("10.0.0.0/8", "fd00::/64"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.except[0]: "fd00::/64" is not the same address family as cidr "10.0.0.0/8"`, false},
		{"except outside cidr", policy("x", "p", ingress(block("10.0.0.0/8", "11.0.0.0/16"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.except[0]: "11.0.0.0/16" is not a strict subset of cidr "10.0.0.0/8"`, false},
		{"except larger than cidr", policy("x", "p", ingress(block("10.1.0.0/16", "10.0.0.0/8"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.except[0]: "10.0.0.0/8" is not a strict subset of cidr "10.1.0.0/16"`, false},
		{"except equal to cidr", policy("x", "p", ingress(block("fd00::/16", "fd00::/16"))),
			`NetworkPolicy x/p: spec.ingress[0].from[0].ipBlock.except[0]: "fd00::/16" is not a strict subset of cidr "fd00::/16"`, false},
		{"rules of a direction outside policyTypes are still validated",
			policy("x", "p", types(networkingv1.PolicyTypeIngress), egress(tcp(0))),
			"NetworkPolicy x/p: spec.egress[0].ports[0].port: invalid port 0 (want 1-65535)", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.pol)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if strings.HasSuffix(tc.want, ": ") {
				if !strings.HasPrefix(err.Error(), tc.want) || len(err.Error()) == len(tc.want) {
					t.Errorf("error %q\nwant %q followed by a cause", err, tc.want)
				}
			} else if err.Error() != tc.want {
				t.Errorf("error %q\nwant  %q", err, tc.want)
			}
			if tc.cause && errors.Unwrap(err) == nil {
				t.Errorf("error %q wraps no cause", err)
			}
			if tc.pol != nil {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Policy.Name != tc.pol.Name || fe.Field == "" {
					t.Errorf("error %q is not a *FieldError naming the policy and field", err)
				}
			}
		})
	}
}

// TestValidateCauses: the CIDR error wraps netip's.
func TestValidateCauses(t *testing.T) {
	err := Validate(policy("x", "p", ingress(block("10.0.0/8"))))
	_, want := netip.ParsePrefix("10.0.0/8")
	if !strings.HasSuffix(err.Error(), want.Error()) {
		t.Errorf("error %q does not end in netip's %q", err, want)
	}
}

// TestSelectorMemo: the memo never confuses two differently written selectors, and a selector it has not seen
// is still validated.
func TestSelectorMemo(t *testing.T) {
	distinct := []*metav1.LabelSelector{
		match("a", "b", "c", "d"),
		match("a", "b1:c1:d"),
		match("a", "b"),
		exprs(expr("a", metav1.LabelSelectorOpIn, "b")),
		exprs(expr("a", metav1.LabelSelectorOpIn, "b", "c")),
		exprs(expr("a", metav1.LabelSelectorOpIn, "b"), expr("c", metav1.LabelSelectorOpExists)),
		exprs(expr("a", metav1.LabelSelectorOpIn, "b;1:c")),
	}
	seen := map[string]int{}
	for i, s := range distinct {
		w := written(s)
		if j, ok := seen[w]; ok {
			t.Errorf("selectors %d and %d share the encoding %q", j, i, w)
		}
		seen[w] = i
	}
	if written(match("a", "b", "c", "d")) != written(match("c", "d", "a", "b")) {
		t.Errorf("matchLabels order changes the encoding")
	}

	c := std(policy("x", "good", selecting("app", "a")),
		policy("x", "more", selecting("app", "a"), ingress(pods(match("app", "a")))),
		policy("x", "zbad", podSelector(exprs(expr("app", metav1.LabelSelectorOpIn)))))
	_, err := Node(c, "n1")
	if err == nil || !strings.HasPrefix(err.Error(), "NetworkPolicy x/zbad: spec.podSelector.matchExpressions[0]: ") {
		t.Errorf("got %v, want the error of x/zbad", err)
	}
}

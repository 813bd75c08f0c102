package build

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// compile validates p and converts it to the builder's form: selectors parsed, ports and CIDRs parsed, rules of
// directions outside the effective policyTypes dropped. memo (may be nil) shares parsed selectors between
// policies.
func compile(p *networkingv1.NetworkPolicy, memo selectorMemo) (*compiled, error) {
	if p == nil {
		return nil, errors.New("NetworkPolicy is nil")
	}
	c := &compiled{ref: ir.PolicyRef{Namespace: p.Namespace, Name: p.Name}}
	fail := func(field, format string, args ...any) error {
		return &FieldError{Policy: c.ref, Field: field, Detail: fmt.Sprintf(format, args...)}
	}
	if p.Name == "" {
		return nil, fail("metadata.name", "required")
	}
	if p.Namespace == "" {
		return nil, fail("metadata.namespace", "required")
	}
	var err error
	if c.podSel, c.podKey, err = memo.compile(c.ref, &p.Spec.PodSelector, "spec.podSelector"); err != nil {
		return nil, err
	}

	if len(p.Spec.PolicyTypes) > 2 {
		return nil, fail("spec.policyTypes", "may not list more than 2 policy types, got %d", len(p.Spec.PolicyTypes))
	}
	for i, t := range p.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			c.isolates[ir.Ingress] = true
		case networkingv1.PolicyTypeEgress:
			c.isolates[ir.Egress] = true
		default:
			return nil, fail(fmt.Sprintf("spec.policyTypes[%d]", i), "unsupported policy type %q (want Ingress or Egress)", t)
		}
	}
	if len(p.Spec.PolicyTypes) == 0 {
		// Absent policyTypes: Ingress always, Egress only if the policy has egress rules.
		c.isolates[ir.Ingress] = true
		c.isolates[ir.Egress] = len(p.Spec.Egress) > 0
	}

	ingress := make([]rule, len(p.Spec.Ingress))
	for i, r := range p.Spec.Ingress {
		path := "spec.ingress[" + strconv.Itoa(i) + "]"
		if ingress[i].ports, err = compilePorts(c.ref, r.Ports, path+".ports"); err != nil {
			return nil, err
		}
		if ingress[i].peers, err = compilePeers(memo, c.ref, r.From, path+".from"); err != nil {
			return nil, err
		}
	}
	egress := make([]rule, len(p.Spec.Egress))
	for i, r := range p.Spec.Egress {
		path := "spec.egress[" + strconv.Itoa(i) + "]"
		if egress[i].ports, err = compilePorts(c.ref, r.Ports, path+".ports"); err != nil {
			return nil, err
		}
		if egress[i].peers, err = compilePeers(memo, c.ref, r.To, path+".to"); err != nil {
			return nil, err
		}
	}
	if c.isolates[ir.Ingress] {
		c.rules[ir.Ingress] = ingress
		c.namedIngress = namedPortsOf(ingress)
	}
	if c.isolates[ir.Egress] {
		c.rules[ir.Egress] = egress
	}
	return c, nil
}

// compileSelector parses a label selector. The key is a canonical string of the selector (labels.Selector's
// String), usable as a cache key of what it selects. On error, each part is checked on its own so the error names the offending matchLabels key or matchExpressions
// index.
func compileSelector(ref ir.PolicyRef, s *metav1.LabelSelector, path string) (labels.Selector, string, error) {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err == nil {
		return sel, sel.String(), nil
	}
	fe := &FieldError{Policy: ref, Field: path, Detail: "invalid label selector", Err: err}
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if _, err := labels.NewRequirement(k, selection.Equals, []string{s.MatchLabels[k]}); err != nil {
			fe.Field, fe.Detail, fe.Err = path+".matchLabels["+k+"]", "invalid label", err
			return nil, "", fe
		}
	}
	for i, e := range s.MatchExpressions {
		one := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{e}}
		if _, err := metav1.LabelSelectorAsSelector(one); err != nil {
			fe.Field, fe.Detail, fe.Err = path+".matchExpressions["+strconv.Itoa(i)+"]", "invalid requirement", err
			return nil, "", fe
		}
	}
	return nil, "", fe
}

func compilePorts(ref ir.PolicyRef, ports []networkingv1.NetworkPolicyPort, path string) ([]portSpec, error) {
	out := make([]portSpec, 0, len(ports))
	for j, p := range ports {
		at := path + "[" + strconv.Itoa(j) + "]"
		fail := func(field, format string, args ...any) error {
			return &FieldError{Policy: ref, Field: at + field, Detail: fmt.Sprintf(format, args...)}
		}
		proto, ok := protocolOf(p.Protocol)
		if !ok {
			return nil, fail(".protocol", "unsupported protocol %q (want TCP, UDP or SCTP)", *p.Protocol)
		}
		ps := portSpec{proto: proto}
		switch {
		case p.Port == nil:
			if p.EndPort != nil {
				return nil, fail(".endPort", "endPort %d requires a numeric port", *p.EndPort)
			}
			// A protocol without a port matches every port number of that protocol.
			ps.first, ps.last = 0, 65535
		case p.Port.Type == intstr.String:
			name := p.Port.StrVal
			if msgs := validation.IsValidPortName(name); len(msgs) > 0 {
				return nil, fail(".port", "invalid port name %q: %s", name, strings.Join(msgs, "; "))
			}
			if p.EndPort != nil {
				return nil, fail(".endPort", "endPort %d requires a numeric port, not named port %q", *p.EndPort, name)
			}
			ps.name = name
		default:
			n := p.Port.IntVal
			if n < 1 || n > 65535 {
				return nil, fail(".port", "invalid port %d (want 1-65535)", n)
			}
			ps.first, ps.last = uint16(n), uint16(n)
			if p.EndPort != nil {
				e := *p.EndPort
				if e > 65535 {
					return nil, fail(".endPort", "invalid endPort %d (want at most 65535)", e)
				}
				if e < n {
					return nil, fail(".endPort", "endPort %d is less than port %d", e, n)
				}
				ps.last = uint16(e)
			}
		}
		out = append(out, ps)
	}
	return out, nil
}

func compilePeers(memo selectorMemo, ref ir.PolicyRef, peers []networkingv1.NetworkPolicyPeer, path string) ([]peer, error) {
	out := make([]peer, 0, len(peers))
	for j, p := range peers {
		at := path + "[" + strconv.Itoa(j) + "]"
		fail := func(field, format string, args ...any) error {
			return &FieldError{Policy: ref, Field: at + field, Detail: fmt.Sprintf(format, args...)}
		}
		hasSel := p.PodSelector != nil || p.NamespaceSelector != nil
		switch {
		case p.IPBlock != nil && hasSel:
			return nil, fail("", "ipBlock may not be combined with podSelector or namespaceSelector")
		case p.IPBlock != nil:
			b, err := compileIPBlock(ref, p.IPBlock, at+".ipBlock")
			if err != nil {
				return nil, err
			}
			out = append(out, peer{block: &b})
			continue
		case !hasSel:
			return nil, fail("", "must set podSelector, namespaceSelector or ipBlock")
		}
		pr := peer{podSel: labels.Everything()}
		var err error
		if p.PodSelector != nil {
			if pr.podSel, pr.podKey, err = memo.compile(ref, p.PodSelector, at+".podSelector"); err != nil {
				return nil, err
			}
		}
		if p.NamespaceSelector != nil {
			if pr.nsSel, pr.nsKey, err = memo.compile(ref, p.NamespaceSelector, at+".namespaceSelector"); err != nil {
				return nil, err
			}
		}
		out = append(out, pr)
	}
	return out, nil
}

func compileIPBlock(ref ir.PolicyRef, b *networkingv1.IPBlock, path string) (ir.IPBlock, error) {
	if b.CIDR == "" {
		return ir.IPBlock{}, &FieldError{Policy: ref, Field: path + ".cidr", Detail: "required"}
	}
	cidr, err := parseCIDR(ref, b.CIDR, path+".cidr")
	if err != nil {
		return ir.IPBlock{}, err
	}
	out := ir.IPBlock{CIDR: cidr}
	for k, s := range b.Except {
		at := path + ".except[" + strconv.Itoa(k) + "]"
		ex, err := parseCIDR(ref, s, at)
		if err != nil {
			return ir.IPBlock{}, err
		}
		if ex.Addr().Is4() != cidr.Addr().Is4() {
			return ir.IPBlock{}, &FieldError{Policy: ref, Field: at,
				Detail: fmt.Sprintf("%q is not the same address family as cidr %q", s, b.CIDR)}
		}
		if ex.Bits() <= cidr.Bits() || !cidr.Contains(ex.Addr()) {
			return ir.IPBlock{}, &FieldError{Policy: ref, Field: at,
				Detail: fmt.Sprintf("%q is not a strict subset of cidr %q", s, b.CIDR)}
		}
		out.Except = append(out.Except, ex)
	}
	slices.SortFunc(out.Except, comparePrefix)
	out.Except = slices.Compact(out.Except)
	return out, nil
}

// parseCIDR parses a CIDR of an ipBlock. Host bits are cleared: older API servers accepted "10.0.0.1/24" and
// net.ParseCIDR-based implementations read it as 10.0.0.0/24.
func parseCIDR(ref ir.PolicyRef, s, path string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, &FieldError{Policy: ref, Field: path, Detail: fmt.Sprintf("invalid CIDR %q", s), Err: err}
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, &FieldError{Policy: ref, Field: path,
			Detail: fmt.Sprintf("invalid CIDR %q: IPv4-mapped IPv6 is ambiguous, write the IPv4 CIDR", s)}
	}
	return p.Masked(), nil
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

package fuzz

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubernetes' length limits.
const (
	maxName       = 253 // metadata.name of pods and NetworkPolicies: a DNS-1123 subdomain
	maxNamespace  = 63  // a namespace name: a DNS-1123 label
	maxLabelValue = 63
)

var (
	shortNames = []string{"a", "b", "c", "web", "db", "default"}
	// longKey is a label key at the limits: a 253-byte prefix and a 63-byte name.
	longKey   = longName(1, maxName, true) + "/" + longName(2, 63, false)
	labelKeys = []string{"app", "team", "tier", "role", "kubernetes.io/metadata.name", "example.com/app", longKey}
	values    = []string{"a", "b", "c", "", "web", longName(3, maxLabelValue, false)}
	badKeys   = []string{"bad key", "", "a/b/c", strings.Repeat("k", 64), "-app"}
	badValues = []string{"bad value", strings.Repeat("v", 64), "-a", "a/b"}
)

// name returns a valid object name of at most limit bytes (maxName or maxNamespace): mostly one of a few short
// names, so selectors and duplicates meet, else a long one (the limit itself, or any length up to it).
func (d *decoder) name(limit int) string {
	b := d.r.next()
	if b < 0xe0 {
		return shortNames[int(b)%len(shortNames)]
	}
	s := d.r.next()
	n := limit
	if b&1 == 1 {
		n = int(s)%limit + 1
	}
	return longName(s, n, limit == maxName)
}

// longName is a valid name of n bytes derived from s: lower-case letters and digits, with a dot every 20 bytes
// when dots (a DNS-1123 subdomain).
func longName(s byte, n int, dots bool) string {
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[(int(s)+i*7)%len(alnum)]
		if dots && i%20 == 19 && i < n-1 {
			b[i] = '.'
		}
	}
	return string(b)
}

// key returns a label key; in a selector (sel) it may be invalid.
func (d *decoder) key(sel bool) string {
	k := d.r.next()
	if sel && k >= 0xf8 && d.spoil() {
		return badKeys[int(k)%len(badKeys)]
	}
	return labelKeys[int(k)%len(labelKeys)]
}

// value returns a label value; in a selector (sel) it may be invalid.
func (d *decoder) value(sel bool) string {
	v := d.r.next()
	if sel && v >= 0xf8 && d.spoil() {
		return badValues[int(v)%len(badValues)]
	}
	return values[int(v)%len(values)]
}

// labels returns the labels of a pod or namespace: up to three from the pools and, now and then, a huge set of
// 64 to 1,084 more.
func (d *decoder) labels() map[string]string {
	c := d.r.next()
	m := map[string]string{}
	for range int(c % 4) {
		m[d.key(false)] = d.value(false)
	}
	if c >= 0xf8 {
		n := 64 + int(d.r.next())*4
		for i := range n {
			m[fmt.Sprintf("k%d.example.com/key-%d", i, i)] = longName(byte(i), 1+i%maxLabelValue, false)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// selector returns a label selector of up to two matchLabels and two matchExpressions ({} when neither).
func (d *decoder) selector() *metav1.LabelSelector {
	s := d.r.next()
	sel := &metav1.LabelSelector{}
	for range int(s % 3) {
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels[d.key(true)] = d.value(true)
	}
	for range int(s / 3 % 3) {
		sel.MatchExpressions = append(sel.MatchExpressions, d.requirement())
	}
	return sel
}

func (d *decoder) requirement() metav1.LabelSelectorRequirement {
	key, o := d.key(true), d.r.next()
	ops := []metav1.LabelSelectorOperator{
		metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist,
	}
	req := metav1.LabelSelectorRequirement{Key: key, Operator: ops[o%4]}
	if o%4 < 2 {
		for range 1 + int(o/4%3) {
			req.Values = append(req.Values, d.value(true))
		}
	}
	if o >= 0xf0 && d.spoil() {
		switch o % 3 {
		case 0:
			req.Operator = "Bogus"
		case 1:
			req.Operator, req.Values = metav1.LabelSelectorOpIn, nil
		default:
			req.Operator, req.Values = metav1.LabelSelectorOpExists, []string{"a"}
		}
	}
	return req
}

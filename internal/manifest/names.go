package manifest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// objectID names an object in messages and in Objects.Sources: "Namespace x", "Pod x/a"; just the kind while the
// name is unknown. Names are escaped (the checks below reject odd ones, but the error must still be one line).
func objectID(r kindRules, namespace, name string) string {
	switch {
	case name == "":
		return r.kind
	case r.namespaced:
		return r.kind + " " + escape(namespace) + "/" + escape(name)
	}
	return r.kind + " " + escape(name)
}

// checkIdentity checks metadata.name and metadata.namespace as the API server does: a name is a DNS-1123 label
// (Namespace) or subdomain (the other kinds), a namespace a DNS-1123 label. A name that no cluster can hold
// (`a,x/b`, one with a quote) would collide with another's group key or break the nft text.
func checkIdentity(r kindRules, name, namespace string) error {
	if name == "" {
		return &FieldError{Path: "metadata.name", Detail: "missing"}
	}
	if !r.namespaced && namespace != "" {
		return &FieldError{Path: "metadata.namespace", Detail: "must be empty for a cluster-scoped object"}
	}
	if namespace != "" {
		if msgs := validation.IsDNS1123Label(namespace); len(msgs) > 0 {
			return invalid("metadata.namespace", "namespace", namespace, msgs)
		}
	}
	check := validation.IsDNS1123Subdomain
	if r.labelName {
		check = validation.IsDNS1123Label
	}
	if msgs := check(name); len(msgs) > 0 {
		return invalid("metadata.name", "name", name, msgs)
	}
	return nil
}

// checkLabels checks label keys and values as the API server does: selectors are matched against them, and a label
// that no cluster can hold is a mistake in the file.
func checkLabels(labels map[string]string) error {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		path := "metadata.labels[" + escape(k) + "]"
		if msgs := validation.IsQualifiedName(k); len(msgs) > 0 {
			return invalid(path, "label key", k, msgs)
		}
		if msgs := validation.IsValidLabelValue(labels[k]); len(msgs) > 0 {
			return invalid(path, "label value", labels[k], msgs)
		}
	}
	return nil
}

func invalid(path, what, value string, msgs []string) *FieldError {
	return &FieldError{Path: path, Detail: fmt.Sprintf("invalid %s %q: %s", what, value, strings.Join(msgs, "; "))}
}

// escape writes s as a Go string literal without the quotes: control characters and quotes become escapes.
func escape(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

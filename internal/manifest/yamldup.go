package manifest

import (
	"regexp"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// duplicateKey is a key given twice in one YAML mapping. YAML-to-JSON conversion keeps the last value silently,
// so the JSON decoder never sees it; the object it is in reports it.
type duplicateKey struct {
	// path is the key's field path within the document, e.g. `items[2].metadata.name`; "" when unknown.
	path string
	// err is the YAML parser's complaint.
	err error
}

// within returns the duplicate as seen from the object at prefix (e.g. items[2]), or nil when it is not inside it.
func (d *duplicateKey) within(prefix string) *duplicateKey {
	if d == nil || !under(d.path, prefix) {
		return nil
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(d.path, prefix), ".")
	return &duplicateKey{path: rest, err: d.err}
}

func (d *duplicateKey) fieldError() *FieldError {
	if d.path == "" {
		return &FieldError{Detail: "duplicate key: " + d.err.Error(), Err: d.err}
	}
	return &FieldError{Path: d.path, Detail: "duplicate key", Err: d.err}
}

var yamlErrLine = regexp.MustCompile(`line (\d+): key .* already set in map`)

// literalDuplicate confirms a duplicate the strict parser reported and finds its path ("" when unknown). The strict
// parser also reports a key that a mapping sets after a merge key (`<<: *base`) brought it in; that is an override,
// not a duplicate, and ok is false.
func literalDuplicate(doc []byte, strictErr error) (path string, ok bool) {
	var root yamlv3.Node
	matches := yamlErrLine.FindAllStringSubmatch(strictErr.Error(), -1)
	if len(matches) == 0 || yamlv3.Unmarshal(doc, &root) != nil {
		return "", true // a complaint we cannot check: report it as it is
	}
	for _, m := range matches {
		line, _ := strconv.Atoi(m[1])
		if path, found := findDuplicate(&root, "", line); found {
			return path, true
		}
	}
	return "", false
}

// findDuplicate walks n for a mapping key on the given line that an earlier key of the same mapping repeats.
func findDuplicate(n *yamlv3.Node, path string, line int) (string, bool) {
	switch n.Kind {
	case yamlv3.DocumentNode:
		for _, c := range n.Content {
			if p, ok := findDuplicate(c, path, line); ok {
				return p, true
			}
		}
	case yamlv3.SequenceNode:
		for i, c := range n.Content {
			if p, ok := findDuplicate(c, joinPath(path, "", i), line); ok {
				return p, true
			}
		}
	case yamlv3.MappingNode:
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yamlv3.ScalarNode {
				continue
			}
			p := joinPath(path, k.Value, -1)
			if seen[k.Value] && k.Line == line {
				return p, true
			}
			seen[k.Value] = true
			if p, ok := findDuplicate(n.Content[i+1], p, line); ok {
				return p, true
			}
		}
	}
	return "", false
}

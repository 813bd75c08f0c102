package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// yamlToJSON converts one YAML document as kubectl does (but rejecting values it would drop, see trailingContent),
// and returns the first key the document gives twice, if any.
func yamlToJSON(doc []byte) ([]byte, *duplicateKey, error) {
	if err := trailingContent(doc); err != nil {
		return nil, nil, err
	}
	raw, strictErr := sigsyaml.YAMLToJSONStrict(doc)
	if strictErr == nil {
		return raw, nil, nil
	}
	raw, err := sigsyaml.YAMLToJSON(doc)
	if err != nil {
		return nil, nil, err // not a duplicate: a syntax error
	}
	path, ok := literalDuplicate(doc, strictErr)
	if !ok {
		return raw, nil, nil
	}
	return raw, &duplicateKey{path: path, err: flatError{strictErr}}, nil
}

// trailingContent rejects a flow-style document followed by more values (`{kind: Pod}` and another `{...}` on the
// next line, without "---" between them): the YAML-to-JSON conversion silently keeps only the first.
func trailingContent(doc []byte) error {
	if !flowStyle(doc) {
		return nil
	}
	dec := yamlv3.NewDecoder(bytes.NewReader(doc))
	var first, next yamlv3.Node
	if dec.Decode(&first) != nil {
		return nil // the conversion reports it
	}
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return fmt.Errorf("more than one value in one document (separate documents with ---): %w", err)
	}
	return nil
}

// flowStyle reports whether the document's first value starts with '{' or '['.
func flowStyle(doc []byte) bool {
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line[0] != '#' {
			return line[0] == '{' || line[0] == '['
		}
	}
	return false
}

// flatError is err with its message on one line.
type flatError struct{ err error }

func (e flatError) Error() string { return oneLine(e.err.Error()) }
func (e flatError) Unwrap() error { return e.err }

// oneLine joins a multi-line message: the YAML parser lists its errors one per line after a header.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > 1 && strings.HasSuffix(lines[0], ":") {
		return lines[0] + " " + strings.Join(lines[1:], "; ")
	}
	return strings.Join(lines, "; ")
}

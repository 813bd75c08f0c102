package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// document is one document of a file, as JSON.
type document struct {
	// n counts the documents of the file from 1, empty ones included, for error messages.
	n   int
	raw json.RawMessage
	// dup is a key a YAML document gives twice (JSON keeps both, and the decoder reports them).
	dup *duplicateKey
}

// splitDocuments parses a file as kubectl does: a stream of JSON values when it starts with '{' (read as YAML
// instead when the first value is not JSON, for flow-style YAML such as `{kind: Pod}`), otherwise YAML documents
// separated by "---" lines.
func splitDocuments(data []byte) ([]document, error) {
	if !utilyaml.IsJSONBuffer(data) {
		return yamlDocuments(data)
	}
	docs, err := jsonDocuments(data)
	if err == nil || len(docs) > 0 {
		return docs, err
	}
	docs, yerr := yamlDocuments(data)
	if yerr != nil {
		return nil, fmt.Errorf("%w; as YAML, %w", err, yerr)
	}
	return docs, nil
}

// jsonDocuments returns the values of a JSON stream; on an error, also the values before it.
func jsonDocuments(data []byte) ([]document, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var docs []document
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return docs, fmt.Errorf("document %d: cannot parse: %w", n, err)
		}
		docs = append(docs, document{n: n, raw: raw})
	}
}

func yamlDocuments(data []byte) ([]document, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []document
	for n := 1; ; n++ {
		chunk, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: cannot parse: %w", n, err)
		}
		raw, dup, err := yamlToJSON(chunk)
		if err != nil {
			return nil, fmt.Errorf("document %d: cannot parse: %w", n, flatError{err})
		}
		docs = append(docs, document{n: n, raw: raw, dup: dup})
	}
}

package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	kjson "sigs.k8s.io/json"
)

// typeError turns err, a failure to decode raw into a value of type t, into a *FieldError with the full path of the
// offending value. The decoder names the field without list indexes (`spec.ingress.ports.port`), and a value that
// decodes itself (IntOrString) reports paths relative to itself, so the value is found again by decoding raw piece
// by piece.
func typeError(raw []byte, t reflect.Type, err error) error {
	path, cause := firstBadValue(raw, t, "")
	if cause == nil {
		path, cause = "", err
	}
	return &FieldError{Path: path, Detail: typeDetail(cause), Err: err}
}

// firstBadValue returns the path of the first value in raw, in document order, that does not decode into its Go
// type, and the error decoding it alone. It returns a nil error when raw decodes.
func firstBadValue(raw []byte, t reflect.Type, path string) (string, error) {
	err := kjson.UnmarshalCaseSensitivePreserveInts(raw, reflect.New(t).Interface())
	if err == nil {
		return "", nil
	}
	found := ""
	var cause error
	eachChild(raw, func(key string, index int, child []byte) bool {
		ct := childType(t, key, index >= 0)
		if ct == nil {
			return true
		}
		cp := joinPath(path, key, index)
		found, cause = firstBadValue(child, ct, cp)
		return cause == nil
	})
	if cause != nil {
		return found, cause
	}
	return path, err
}

// eachChild calls fn with every member of a JSON object (index -1) or element of an array (key ""), in order,
// until fn returns false. A scalar has no children.
func eachChild(raw []byte, fn func(key string, index int, child []byte) bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return
	}
	open, _ := tok.(json.Delim)
	if open != '{' && open != '[' {
		return
	}
	for i := 0; dec.More(); i++ {
		key, index := "", i
		if open == '{' {
			k, err := dec.Token()
			if err != nil {
				return
			}
			key, index = fmt.Sprint(k), -1
		}
		var child json.RawMessage
		if dec.Decode(&child) != nil || !fn(key, index, child) {
			return
		}
	}
}

// joinPath appends a key (index < 0) or a list index to a field path.
func joinPath(path, key string, index int) string {
	switch {
	case index >= 0:
		return fmt.Sprintf("%s[%d]", path, index)
	case path == "":
		return key
	}
	return path + "." + key
}

var unmarshalTypeMsg = regexp.MustCompile(`^(?:json: )?cannot unmarshal (.+) into Go (?:value|struct field \S+) of type (.+)$`)

// typeDetail words a decoding error without Go's struct names: "cannot be a JSON number 99999999999 (want int32)".
func typeDetail(err error) string {
	msg := err.Error()
	if m := unmarshalTypeMsg.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("cannot be a JSON %s (want %s)", m[1], m[2])
	}
	return strings.TrimPrefix(msg, "json: ")
}

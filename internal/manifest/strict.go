package manifest

import (
	"errors"
	"reflect"
	"strings"

	kjson "sigs.k8s.io/json"
)

// decodeStrict fills obj from raw as the API server reads a request body: keys match case-sensitively, and a key
// given twice is an error (the server rejects it; a YAML or JSON parser would silently keep one of the values).
//
// Unknown keys are ignored, so that objects printed by a newer or older cluster still load (`status: {}` of a
// NetworkPolicy from 1.24–1.26, Pod fields newer than our k8s.io/api), with two exceptions:
//   - under strictUnder (when not ""), e.g. "spec": a typo such as `podSelecter` there would silently widen a
//     policy;
//   - a key that differs from a known field only in case (`NAMESPACE`, `nodename`): that is a mistake, never a
//     newer field, and ignoring it would silently drop the value.
func decodeStrict(raw []byte, obj any, strictUnder string) error {
	strictErrs, err := kjson.UnmarshalStrict(raw, obj)
	if err != nil {
		return typeError(raw, reflect.TypeOf(obj), err)
	}
	for _, serr := range strictErrs {
		var fe kjson.FieldError
		if !errors.As(serr, &fe) {
			return serr
		}
		path := fe.FieldPath()
		switch {
		case strings.HasPrefix(serr.Error(), "duplicate field"):
			return &FieldError{Path: path, Detail: "duplicate key", Err: serr}
		case strictUnder != "" && under(path, strictUnder):
			return &FieldError{Path: path, Detail: "unknown field", Err: serr}
		}
		if known := caseVariantOf(reflect.TypeOf(obj), path); known != "" {
			return &FieldError{Path: path, Detail: "unknown field (keys are case-sensitive: did you mean " + known + "?)", Err: serr}
		}
	}
	return nil
}

// under reports whether path is prefix or a field below it.
func under(path, prefix string) bool {
	rest, ok := strings.CutPrefix(path, prefix)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// caseVariantOf returns the key of the struct field that the last key of path spells in another case, or "".
func caseVariantOf(root reflect.Type, path string) string {
	cut := strings.LastIndexAny(path, ".]")
	parent, key := "", path
	if cut >= 0 {
		parent, key = path[:cut+1], path[cut+1:]
		parent = strings.TrimSuffix(parent, ".")
	}
	t := deref(typeAtPath(root, parent))
	if t == nil || t.Kind() != reflect.Struct || customJSON(t) {
		return ""
	}
	if _, known := structField(t, key, true); known != key {
		return known
	}
	return ""
}

package manifest

import (
	"encoding/json"
	"reflect"
	"strings"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// deref strips pointers: the JSON shape of *T is that of T.
func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// customJSON reports whether t decodes itself (intstr.IntOrString, resource.Quantity, metav1.Time, ...): its JSON
// shape is not that of its Go fields.
func customJSON(t reflect.Type) bool {
	t = deref(t)
	return t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)
}

// childType returns the Go type of the value under key (or, when index, of an element) in a value of type t, or
// nil when t has no such child. Keys of structs match the json tag exactly, as sigs.k8s.io/json matches them.
func childType(t reflect.Type, key string, index bool) reflect.Type {
	t = deref(t)
	if t == nil || customJSON(t) {
		return nil
	}
	switch {
	case index && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		return t.Elem()
	case !index && t.Kind() == reflect.Map:
		return t.Elem()
	case !index && t.Kind() == reflect.Struct:
		ft, _ := structField(t, key, false)
		return ft
	}
	return nil
}

// structField finds the field of struct t that JSON key name fills, looking into embedded structs without a name
// (`json:",inline"`), and returns its type and its key as spelled in the tag. With fold, the key matches
// case-insensitively.
func structField(t reflect.Type, name string, fold bool) (reflect.Type, string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		key, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && key == "" {
			if et := deref(f.Type); et.Kind() == reflect.Struct {
				if ft, k := structField(et, name, fold); ft != nil {
					return ft, k
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if key == "" {
			key = f.Name
		}
		if key == name || fold && strings.EqualFold(key, name) {
			return f.Type, key
		}
	}
	return nil, ""
}

// typeAtPath returns the Go type of the value at path under root, with path as sigs.k8s.io/json writes the paths
// of its strict errors: `spec.ingress[0].ports[1].port`. It returns nil when the path leaves the known types (a key
// containing '.' or '[' is misread, which only makes the answer nil).
func typeAtPath(root reflect.Type, path string) reflect.Type {
	t := root
	for path != "" && t != nil {
		var seg string
		switch {
		case path[0] == '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil
			}
			t, path = childType(t, "", true), path[end+1:]
			continue
		case path[0] == '.':
			path = path[1:]
		}
		end := strings.IndexAny(path, ".[")
		if end < 0 {
			end = len(path)
		}
		seg, path = path[:end], path[end:]
		t = childType(t, seg, false)
	}
	return t
}

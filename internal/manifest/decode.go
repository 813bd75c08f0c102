package manifest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// addDocument decodes one object (or a List of them) and records it. where names the document for errors;
// file names the file for duplicate reports.
func (l *loader) addDocument(where, file string, raw json.RawMessage) error {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return fmt.Errorf("%s: not a Kubernetes object: %w", where, err)
	}
	switch {
	case tm.Kind == "":
		return fmt.Errorf("%s: kind: missing", where)
	case tm.APIVersion == "":
		return fmt.Errorf("%s: %s: apiVersion: missing", where, tm.Kind)
	}
	switch gvk := tm.APIVersion + "/" + tm.Kind; gvk {
	case "v1/List":
		var list struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ListMeta   `json:"metadata"`
			Items           []json.RawMessage `json:"items"`
		}
		if err := strictUnmarshal(raw, &list); err != nil {
			return fmt.Errorf("%s: List: %w", where, err)
		}
		for i, item := range list.Items {
			if err := l.addDocument(fmt.Sprintf("%s: items[%d]", where, i), file, item); err != nil {
				return err
			}
		}
		return nil
	case "v1/Namespace":
		ns := &corev1.Namespace{}
		if err := l.decode(where, file, raw, ns, &ns.ObjectMeta, false); err != nil {
			return err
		}
		l.objs.Namespaces = append(l.objs.Namespaces, ns)
	case "v1/Pod":
		pod := &corev1.Pod{}
		if err := l.decode(where, file, raw, pod, &pod.ObjectMeta, true); err != nil {
			return err
		}
		l.objs.Pods = append(l.objs.Pods, pod)
	case "networking.k8s.io/v1/NetworkPolicy":
		np := &networkingv1.NetworkPolicy{}
		if err := l.decode(where, file, raw, np, &np.ObjectMeta, true); err != nil {
			return err
		}
		l.objs.Policies = append(l.objs.Policies, np)
	default:
		return fmt.Errorf("%s: kind %s (apiVersion %s): unsupported; expected Namespace, Pod, NetworkPolicy or List",
			where, tm.Kind, tm.APIVersion)
	}
	return nil
}

// decode fills obj strictly, defaults the namespace of namespaced kinds to "default", and rejects a missing name
// or a second object of the same kind and name.
func (l *loader) decode(where, file string, raw json.RawMessage, obj any, meta *metav1.ObjectMeta, namespaced bool) error {
	kind := kindOf(obj)
	if err := strictUnmarshal(raw, obj); err != nil {
		return fmt.Errorf("%s: %s: %w", where, kind, err)
	}
	if meta.Name == "" {
		return fmt.Errorf("%s: %s: metadata.name: missing", where, kind)
	}
	if namespaced && meta.Namespace == "" {
		meta.Namespace = "default"
	}
	if !namespaced && meta.Namespace != "" {
		return fmt.Errorf("%s: %s %s: metadata.namespace: must be empty for a cluster-scoped object", where, kind, meta.Name)
	}
	id := kind + " " + meta.Name
	if namespaced {
		id = kind + " " + meta.Namespace + "/" + meta.Name
	}
	if first, dup := l.seen[id]; dup {
		return fmt.Errorf("%s: %s: duplicate object (first defined in %s)", where, id, first)
	}
	l.seen[id] = file
	l.objs.Sources[id] = where
	return nil
}

func kindOf(obj any) string {
	switch obj.(type) {
	case *corev1.Namespace:
		return "Namespace"
	case *corev1.Pod:
		return "Pod"
	case *networkingv1.NetworkPolicy:
		return "NetworkPolicy"
	}
	return fmt.Sprintf("%T", obj)
}

// strictUnmarshal decodes JSON and rejects fields the type does not have, so a typo such as `podSelecter` is
// an error instead of a silently empty selector (which would select every pod).
func strictUnmarshal(raw []byte, obj any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return cleanJSONError(err)
	}
	return nil
}

// cleanJSONError rewords encoding/json's messages so they name the field path.
func cleanJSONError(err error) error {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return fmt.Errorf("unknown field %s", f)
	}
	if ute, ok := err.(*json.UnmarshalTypeError); ok && ute.Field != "" {
		return fmt.Errorf("%s: cannot be a JSON %s (want %s)", ute.Field, ute.Value, ute.Type)
	}
	return err
}

package manifest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kjson "sigs.k8s.io/json"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// header is what a document is read for first, leniently, so that every later error can name the object.
type header struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
}

// objectMeta is the part of metav1.ObjectMeta that names an object.
type objectMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

// kindRules say how to read one kind.
type kindRules struct {
	kind       string
	namespaced bool
	// labelName: metadata.name is a DNS-1123 label (Namespace), not a subdomain.
	labelName bool
	// strictUnder is the field below which unknown keys are errors ("" for none; see decodeStrict).
	strictUnder string
}

var (
	namespaceRules     = kindRules{kind: "Namespace", labelName: true}
	podRules           = kindRules{kind: "Pod", namespaced: true}
	nodeRules          = kindRules{kind: "Node"}
	policyRules        = kindRules{kind: "NetworkPolicy", namespaced: true, strictUnder: "spec"}
	clusterPolicyRules = kindRules{kind: "ClusterNetworkPolicy", strictUnder: "spec"}
)

// supportedKinds ends the error about a kind the loader does not read.
const supportedKinds = "expected Namespace, Pod, Node, NetworkPolicy, ClusterNetworkPolicy or List"

// addDocument decodes one object (or a List of them) and records it. where names the document for errors
// ("file: document 2" or "file: document 2: items[3]"); file names the file for duplicate reports; dup is a key the
// YAML document gave twice, relative to this object.
func (l *loader) addDocument(where, file string, raw json.RawMessage, dup *duplicateKey) error {
	var h header
	if len(raw) == 0 || raw[0] != '{' {
		return fmt.Errorf("%s: not a Kubernetes object: a JSON %s, want a mapping with apiVersion and kind", where, jsonKind(raw))
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &h); err != nil {
		return fmt.Errorf("%s: %w", where, typeError(raw, reflect.TypeOf(&h), err))
	}
	switch {
	case h.Kind == "":
		return fmt.Errorf("%s: kind: missing", where)
	case h.APIVersion == "":
		return fmt.Errorf("%s: %s: apiVersion: missing", where, h.Kind)
	}
	switch gvk := h.APIVersion + "/" + h.Kind; gvk {
	case "v1/List":
		return l.addList(where, file, raw, dup)
	case "v1/Namespace":
		ns := &corev1.Namespace{}
		if err := l.decode(where, file, h, raw, dup, ns, &ns.ObjectMeta, namespaceRules); err != nil {
			return err
		}
		l.objs.Namespaces = append(l.objs.Namespaces, ns)
	case "v1/Pod":
		pod := &corev1.Pod{}
		if err := l.decode(where, file, h, raw, dup, pod, &pod.ObjectMeta, podRules); err != nil {
			return err
		}
		l.objs.Pods = append(l.objs.Pods, pod)
	case "networking.k8s.io/v1/NetworkPolicy":
		np := &networkingv1.NetworkPolicy{}
		if err := l.decode(where, file, h, raw, dup, np, &np.ObjectMeta, policyRules); err != nil {
			return err
		}
		l.objs.Policies = append(l.objs.Policies, np)
	case "v1/Node":
		node := &corev1.Node{}
		if err := l.decode(where, file, h, raw, dup, node, &node.ObjectMeta, nodeRules); err != nil {
			return err
		}
		l.objs.Nodes = append(l.objs.Nodes, node)
	case clusterPolicyV1beta1, clusterPolicyV1alpha2:
		return l.addClusterPolicy(where, file, h, raw, dup)
	default:
		return unsupportedKind(where, h)
	}
	return nil
}

// unsupportedKind words the error about a document of a kind (or a version of it) the loader does not read.
func unsupportedKind(where string, h header) error {
	want := map[string]string{
		"Namespace": "v1", "Pod": "v1", "Node": "v1", "List": "v1", "NetworkPolicy": "networking.k8s.io/v1",
		"ClusterNetworkPolicy": cnpv1beta1.GroupName + "/v1beta1 or /v1alpha2",
	}[h.Kind]
	if want != "" {
		return fmt.Errorf("%s: kind %s (apiVersion %s): unsupported apiVersion; want %s", where, h.Kind, h.APIVersion, want)
	}
	return fmt.Errorf("%s: kind %s (apiVersion %s): unsupported; %s", where, h.Kind, h.APIVersion, supportedKinds)
}

// addList adds every item of a `v1 List`.
func (l *loader) addList(where, file string, raw json.RawMessage, dup *duplicateKey) error {
	var list struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ListMeta   `json:"metadata"`
		Items           []json.RawMessage `json:"items"`
	}
	if dup != nil && !strings.HasPrefix(dup.path, "items[") {
		return fmt.Errorf("%s: List: %w", where, dup.fieldError())
	}
	if err := decodeStrict(raw, &list, ""); err != nil {
		return fmt.Errorf("%s: List: %w", where, err)
	}
	for i, item := range list.Items {
		at := fmt.Sprintf("items[%d]", i)
		if err := l.addDocument(where+": "+at, file, item, dup.within(at)); err != nil {
			return err
		}
	}
	return nil
}

// decode checks the object's name, fills obj, defaults the namespace of namespaced kinds to "default", checks the
// labels, and rejects a second object of the same kind and name.
func (l *loader) decode(where, file string, h header, raw json.RawMessage, dup *duplicateKey, obj any, meta *metav1.ObjectMeta, r kindRules) error {
	name, ns := h.Metadata.Name, h.Metadata.Namespace
	if r.namespaced && ns == "" {
		ns = "default"
	}
	id := objectID(r, ns, name)
	fail := func(err error) error { return fmt.Errorf("%s: %s: %w", where, id, err) }
	if err := checkIdentity(r, name, h.Metadata.Namespace); err != nil {
		return fail(err)
	}
	if dup != nil {
		return fail(dup.fieldError())
	}
	if err := decodeStrict(raw, obj, r.strictUnder); err != nil {
		return fail(err)
	}
	if r.namespaced {
		meta.Namespace = ns
	}
	if err := checkLabels(meta.Labels); err != nil {
		return fail(err)
	}
	if first, seen := l.seen[id]; seen {
		return fail(fmt.Errorf("duplicate object (first defined in %s)", first))
	}
	l.seen[id] = file
	l.objs.Sources[id] = where
	return nil
}

// jsonKind names the kind of JSON value raw is.
func jsonKind(raw []byte) string {
	switch {
	case len(raw) == 0:
		return "nothing"
	case raw[0] == '{':
		return "object"
	case raw[0] == '[':
		return "array"
	case raw[0] == '"':
		return "string"
	case raw[0] == 't' || raw[0] == 'f':
		return "bool"
	case raw[0] == 'n':
		return "null"
	}
	return "number"
}

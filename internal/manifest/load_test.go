package manifest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadShapes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yamlFile := write("a.yaml", `---
# an empty document first, as editors leave them
---
apiVersion: v1
kind: Pod
metadata: {name: p}
---
apiVersion: v1
kind: List
items:
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: np, namespace: x}
  spec: {podSelector: {}}
`)
	jsonFile := write("b.json", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}`)
	objs, err := Load([]string{yamlFile, jsonFile}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.Pods) != 1 || len(objs.Policies) != 1 || len(objs.Namespaces) != 1 {
		t.Fatalf("got %d pods, %d policies, %d namespaces", len(objs.Pods), len(objs.Policies), len(objs.Namespaces))
	}
	if ns := objs.Pods[0].Namespace; ns != "default" {
		t.Errorf("pod without namespace: got %q, want default", ns)
	}
	if src := objs.Source("NetworkPolicy x/np"); !strings.HasPrefix(src, yamlFile+": document 3: items[0]") {
		t.Errorf("source of the policy = %q", src)
	}
	// A directory reads its manifests in name order.
	objs, err = Load([]string{dir}, nil)
	if err != nil || len(objs.Namespaces) != 1 {
		t.Fatalf("directory: %v", err)
	}
}

func TestLoadAcceptsKubectlOutput(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		// Printed by 1.24–1.26 clusters; the field is gone from k8s.io/api.
		{"policy status", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: {podSelector: {}}\nstatus: {}\n"},
		{"policy unknown top-level and metadata fields", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x, futureMeta: 1}\nspec: {podSelector: {}}\nfutureTop: {}\n"},
		{"pod fields newer than k8s.io/api", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x}\nspec: {nodeName: node1, futureSpec: 1, containers: [{name: c, futureContainer: []}]}\nstatus: {futureStatus: x, podIP: 10.0.0.1}\n"},
		{"namespace unknown fields", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\nspec: {finalizers: [kubernetes], future: 1}\nstatus: {phase: Active}\n"},
		{"list metadata", "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems: [{apiVersion: v1, kind: Namespace, metadata: {name: x}}]\n"},
		{"flow-style YAML", "{apiVersion: v1, kind: Namespace, metadata: {name: x}}\n"},
		{"YAML merge key overridden", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n  labels:\n    <<: {app: a, tier: t}\n    app: b\n"},
		{"JSON stream", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}}` + "\n" + `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"y"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := Load([]string{"-"}, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if objs.Len() == 0 {
				t.Fatal("no objects")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	const policy = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\n"
	const pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x"
	for _, tc := range []struct {
		name, body string
		// want are substrings of the error, which always starts with "<stdin>: document 1".
		want []string
		// path, when set, is the *FieldError's path.
		path string
	}{
		{"namespaced namespace", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, namespace: z}\n",
			[]string{"Namespace x: metadata.namespace: must be empty"}, "metadata.namespace"},
		{"no name", "apiVersion: v1\nkind: Pod\nmetadata: {}\n", []string{"Pod: metadata.name: missing"}, "metadata.name"},
		{"no apiVersion", "kind: Pod\nmetadata: {name: p}\n", []string{"apiVersion: missing"}, ""},
		{"wrong type", pod + "}\nspec: {nodeName: [1]}\n",
			[]string{"Pod x/a: spec.nodeName: cannot be a JSON array (want string)"}, "spec.nodeName"},
		{"not an object", "- just\n- a list\n", []string{"not a Kubernetes object"}, ""},
		{"flow-style values without ---", "{apiVersion: v1, kind: Namespace, metadata: {name: a}}\n{apiVersion: v1, kind: Namespace, metadata: {name: b}}\n",
			[]string{"cannot parse", "more than one value in one document"}, ""},
		{"null list item", "apiVersion: v1\nkind: List\nitems: [null]\n", []string{"items[0]: not a Kubernetes object: a JSON null"}, ""},
		{"list item", "apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Secret, metadata: {name: s}}]\n", []string{"items[0]: kind Secret"}, ""},
		{"wrong type in header", "apiVersion: v1\nkind: Pod\nmetadata: {name: [a]}\n", []string{"metadata.name: cannot be a JSON array"}, "metadata.name"},

		// Strict where it matters: a typo in a policy's spec widens it.
		{"unknown spec field", policy + "spec: {podSelecter: {}}\n", []string{"NetworkPolicy x/p: spec.podSelecter: unknown field"}, "spec.podSelecter"},
		{"unknown field deep in spec", policy + "spec: {podSelector: {}, ingress: [{}, {ports: [{port: 1}, {prot: 2}]}]}\n",
			[]string{"NetworkPolicy x/p: spec.ingress[1].ports[1].prot: unknown field"}, "spec.ingress[1].ports[1].prot"},
		{"key in another case", policy + "spec: {PODSELECTOR: {matchLabels: {a: b}}, podSelector: {}}\n",
			[]string{"NetworkPolicy x/p: spec.PODSELECTOR: unknown field"}, "spec.PODSELECTOR"},
		{"top-level key in another case", policy + "Spec: {podSelector: {}}\n",
			[]string{"NetworkPolicy x/p: Spec: unknown field", "did you mean spec?"}, "Spec"},
		{"pod key in another case", pod + ", NAMESPACE: y}\n", []string{"Pod x/a: metadata.NAMESPACE: unknown field", "did you mean namespace?"}, "metadata.NAMESPACE"},
		{"pod nested key in another case", pod + "}\nspec: {containers: [{name: c, Ports: [{containerPort: 80}]}]}\n",
			[]string{"Pod x/a: spec.containers[0].Ports: unknown field", "did you mean ports?"}, "spec.containers[0].Ports"},

		// Type errors name the object and the value with its list indexes.
		{"number out of range", policy + "spec: {podSelector: {}, ingress: [{ports: [{port: 80}]}, {ports: [{port: 1}, {port: 99999999999}]}]}\n",
			[]string{"NetworkPolicy x/p: spec.ingress[1].ports[1].port: cannot be a JSON number 99999999999 (want int32)"}, "spec.ingress[1].ports[1].port"},
		{"map value of the wrong type", policy + "spec: {podSelector: {matchLabels: {a: b, c: true}}}\n",
			[]string{"NetworkPolicy x/p: spec.podSelector.matchLabels.c: cannot be a JSON bool (want string)"}, "spec.podSelector.matchLabels.c"},
		{"object for a list", policy + "spec: {podSelector: {}, egress: {to: []}}\n",
			[]string{"NetworkPolicy x/p: spec.egress: cannot be a JSON object"}, "spec.egress"},
		{"pod list element", pod + "}\nspec: {containers: [{name: c, ports: [{containerPort: 80}, {containerPort: http}]}]}\n",
			[]string{"Pod x/a: spec.containers[0].ports[1].containerPort: cannot be a JSON string (want int32)"}, "spec.containers[0].ports[1].containerPort"},

		// Duplicate keys: the API server rejects them; the parsers would keep one value.
		{"duplicate name in YAML", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, name: q, namespace: x}\n",
			[]string{"Pod x/q: metadata.name: duplicate key"}, "metadata.name"},
		{"duplicate label in a YAML list item", "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: b\n    labels: {x: y, x: z}\n",
			[]string{"items[1]: Namespace b: metadata.labels.x: duplicate key"}, "metadata.labels.x"},
		{"duplicate key of a YAML list", "apiVersion: v1\nkind: List\nitems: []\nitems: []\n", []string{"List: items: duplicate key"}, "items"},
		{"duplicate in JSON", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"x"},"spec":{"nodeName":"n1","nodeName":"n2"}}`,
			[]string{"Pod x/a: spec.nodeName: duplicate key"}, "spec.nodeName"},
		{"duplicate in JSON list item", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a","labels":{"k":"1","k":"2"}}}]}`,
			[]string{"items[0]: Namespace a: metadata.labels.k: duplicate key"}, "metadata.labels.k"},

		// Names and labels a cluster cannot hold.
		{"namespace name", "apiVersion: v1\nkind: Namespace\nmetadata: {name: \"a,x/b\"}\n",
			[]string{`metadata.name: invalid name "a,x/b"`, "RFC 1123 label"}, "metadata.name"},
		{"policy name", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: \"a,x/b\", namespace: x}\nspec: {}\n",
			[]string{`metadata.name: invalid name "a,x/b"`, "RFC 1123 subdomain"}, "metadata.name"},
		{"pod name with a quote and a newline", "apiVersion: v1\nkind: Pod\nmetadata: {name: \"a\\\"b\\nc\", namespace: x}\n",
			[]string{`Pod x/a\"b\nc: metadata.name: invalid name "a\"b\nc"`}, "metadata.name"},
		{"namespace of a pod", "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: X}\n",
			[]string{`Pod X/a: metadata.namespace: invalid namespace "X"`}, "metadata.namespace"},
		{"label key", pod + ", labels: {\"a b\": c}}\n", []string{`Pod x/a: metadata.labels[a b]: invalid label key "a b"`}, "metadata.labels[a b]"},
		{"label value", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {a: \"c d\"}}\n",
			[]string{`Namespace x: metadata.labels[a]: invalid label value "c d"`}, "metadata.labels[a]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]string{"-"}, strings.NewReader(tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "<stdin>: document 1") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with <stdin>: document 1", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			var fe *FieldError
			if tc.path != "" && (!errors.As(err, &fe) || fe.Path != tc.path) {
				t.Errorf("error %q: want a *FieldError at %s", msg, tc.path)
			}
		})
	}
}

func TestLoadCountsEmptyDocuments(t *testing.T) {
	// Empty documents count, so "document N" is the N-th document an editor shows.
	body := "---\n# nothing\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: a, name: b}\n"
	_, err := Load([]string{"-"}, strings.NewReader(body))
	if err == nil || !strings.HasPrefix(err.Error(), "<stdin>: document 2: Pod default/b") {
		t.Errorf("error %v, want it at document 2", err)
	}
	objs, err := Load([]string{"-"}, strings.NewReader("---\n# nothing\n"))
	if err != nil {
		t.Fatalf("only empty documents: %v", err)
	}
	if objs.Len() != 0 {
		t.Errorf("only empty documents: %d objects", objs.Len())
	}
}

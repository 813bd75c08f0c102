package manifest

import (
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

func TestLoadErrors(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"namespaced namespace": {"apiVersion: v1\nkind: Namespace\nmetadata: {name: x, namespace: z}\n", "metadata.namespace: must be empty"},
		"no name":              {"apiVersion: v1\nkind: Pod\nmetadata: {}\n", "metadata.name: missing"},
		"no apiVersion":        {"kind: Pod\nmetadata: {name: p}\n", "apiVersion: missing"},
		"wrong type":           {"apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {nodeName: [1]}\n", "spec.nodeName"},
		"not an object":        {"- just\n- a list\n", "not a Kubernetes object"},
		"list item":            {"apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: Secret, metadata: {name: s}}]\n", "items[0]: kind Secret"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load([]string{"-"}, strings.NewReader(tc.body))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "<stdin>: document 1") {
				t.Errorf("error %v, want it to start with <stdin>: document 1 and mention %q", err, tc.want)
			}
		})
	}
}

package plugin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodNamespace = `apiVersion: v1
kind: Namespace
metadata:
  name: x
  labels: {ns: x}
`

const goodPod = `apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {pod: a}}
spec:
  nodeName: node-a
  containers: [{name: c, image: i, ports: [{name: http, containerPort: 80}]}]
status:
  phase: Running
  podIP: 10.244.0.10
  podIPs: [{ip: 10.244.0.10}, {ip: "fd00:10:244::10"}]
`

func policy(spec string) string {
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: x}\nspec:\n" + spec
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func render(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(append([]string{"render"}, args...), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

func TestRenderBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string // substrings of the one error line
	}{
		{"unparsable", map[string]string{"bad.yaml": goodNamespace + "---\nkind: [unclosed\n"},
			[]string{"bad.yaml", "document 2", "cannot parse"}},
		{"unknown kind", map[string]string{"k.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"},
			[]string{"k.yaml", "document 1", "Deployment", "unsupported"}},
		{"missing kind", map[string]string{"k.yaml": "apiVersion: v1\nmetadata: {name: d}\n"},
			[]string{"k.yaml", "kind: missing"}},
		{"unknown field", map[string]string{"p.yaml": policy("  podSelecter: {}\n")},
			[]string{"p.yaml", "document 1", "NetworkPolicy x/p", "spec.podSelecter: unknown field"}},
		{"key in another case", map[string]string{"p.yaml": policy("  PODSELECTOR: {matchLabels: {a: b}}\n  podSelector: {}\n")},
			[]string{"p.yaml", "document 1", "NetworkPolicy x/p", "spec.PODSELECTOR: unknown field"}},
		{"duplicate key", map[string]string{"p.yaml": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, name: q, namespace: x}\nspec: {}\n"},
			[]string{"p.yaml", "document 1", "NetworkPolicy x/q", "metadata.name: duplicate key"}},
		{"number out of range", map[string]string{"p.yaml": goodNamespace + "---\n" + policy(
			"  podSelector: {}\n  ingress: [{ports: [{port: 80}]}, {ports: [{port: 99999999999}]}]\n")},
			[]string{"p.yaml", "document 2", "NetworkPolicy x/p", "spec.ingress[1].ports[0].port", "99999999999"}},
		{"invalid policy name", map[string]string{"p.yaml": strings.Replace(policy("  podSelector: {}\n"), "name: p,", `name: "a,x/b",`, 1)},
			[]string{"p.yaml", "document 1", "NetworkPolicy x/a,x/b", `metadata.name: invalid name "a,x/b"`}},
		{"invalid namespace name", map[string]string{"ns.yaml": strings.Replace(goodNamespace, "name: x", "name: X", 1)},
			[]string{"ns.yaml", "document 1", "Namespace X", `metadata.name: invalid name "X"`}},
		{"invalid pod label", map[string]string{"pod.yaml": strings.Replace(goodPod, "pod: a", `pod: "a\"b"`, 1)},
			[]string{"pod.yaml", "document 1", "Pod x/a", `metadata.labels[pod]: invalid label value "a\"b"`}},
		{"empty file", map[string]string{"empty.yaml": ""}, []string{"no objects found in"}},
		{"only empty documents", map[string]string{"empty.yaml": "---\n# nothing yet\n---\n"}, []string{"no objects found in"}},
		{"directory without manifests", map[string]string{"README.md": "# not a manifest\n"}, []string{"no objects found in"}},
		{"invalid selector operator", map[string]string{"p.yaml": policy(
			"  podSelector: {matchExpressions: [{key: a, operator: Foo, values: [b]}]}\n")},
			[]string{"p.yaml", "NetworkPolicy x/p", "spec.podSelector"}},
		{"invalid cidr", map[string]string{"p.yaml": policy(
			"  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0/8}}]}]\n")},
			[]string{"p.yaml", "document 1", "NetworkPolicy x/p", "spec.ingress[0].from[0].ipBlock.cidr", "10.0.0/8"}},
		{"except outside its block", map[string]string{"p.yaml": policy(
			"  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8, except: [192.168.0.0/16]}}]}]\n")},
			[]string{"p.yaml", "document 1", "NetworkPolicy x/p", "spec.ingress[0].from[0].ipBlock.except[0]", "192.168.0.0/16"}},
		{"endPort below port", map[string]string{"p.yaml": policy(
			"  podSelector: {}\n  ingress: [{ports: [{port: 90, endPort: 80}]}]\n")},
			[]string{"p.yaml", "NetworkPolicy x/p", "spec.ingress[0].ports[0].endPort"}},
		{"duplicate object", map[string]string{"a.yaml": goodNamespace, "b.yaml": goodNamespace},
			[]string{"b.yaml", "Namespace x", "duplicate", "a.yaml"}},
		{"bad pod IP", map[string]string{"pod.yaml": strings.ReplaceAll(goodPod, "10.244.0.10", "10.244.0.300")},
			[]string{"pod.yaml", "document 1", "Pod x/a", "10.244.0.300"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			code, out, errOut := render(t, "-f", dir)
			if code == 0 {
				t.Fatalf("exit 0, want non-zero; stdout:\n%s", out)
			}
			if out != "" {
				t.Errorf("partial output on stdout:\n%s", out)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
				t.Errorf("want one error line, got %d:\n%s", n+1, errOut)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("error %q does not mention %q", strings.TrimSpace(errOut), w)
				}
			}
		})
	}
}

func TestRenderFlags(t *testing.T) {
	if code, _, errOut := render(t); code == 0 || !strings.Contains(errOut, "-f FILE") {
		t.Errorf("no -f: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := render(t, "-f", "/nonexistent/x.yaml"); code == 0 || !strings.Contains(errOut, "/nonexistent/x.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := render(t, "-f", "-", "--node", "Node_A"); code == 0 || !strings.Contains(errOut, `invalid node name "Node_A"`) {
		t.Errorf("invalid --node: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := render(t, "--bogus"); code == 0 || !strings.Contains(errOut, "bogus") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, errOut)
	}
	var out, errOut bytes.Buffer
	if code := Main([]string{"frobnicate"}, Streams{Out: &out, Err: &errOut}); code == 0 || !strings.Contains(errOut.String(), "frobnicate") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut.String())
	}
}

func TestRenderListAndJSON(t *testing.T) {
	list := `{"apiVersion":"v1","kind":"List","items":[
	  {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"x"}},
	  {"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny","namespace":"x"},"spec":{"podSelector":{}}}
	]}`
	dir := writeFiles(t, map[string]string{"list.json": list, "pod.yaml": goodPod})
	code, out, errOut := render(t, "-f", filepath.Join(dir, "list.json"), "-f", filepath.Join(dir, "pod.yaml"), "--node", "node-a")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"table inet nftpolicy {", "10.244.0.10 : jump ing-", "fd00:10:244::10 : jump ing-", "drop comment \"ingress x/deny\""} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Another node: the pod is not local, nothing is dispatched.
	_, out, _ = render(t, "-f", dir, "--node", "node-b")
	if strings.Contains(out, "jump ing-") {
		t.Errorf("pod of node-a dispatched on node-b:\n%s", out)
	}
}

func TestRenderStdinDeterministic(t *testing.T) {
	in := goodNamespace + "---\n" + goodPod + "---\n" + policy("  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]\n")
	var first string
	for i := 0; i < 3; i++ {
		var out, errOut bytes.Buffer
		if code := Main([]string{"render", "-f", "-"}, Streams{In: strings.NewReader(in), Out: &out, Err: &errOut}); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
		if i == 0 {
			first = out.String()
		} else if out.String() != first {
			t.Fatalf("output differs between runs")
		}
	}
}

func TestRenderAcceptsKubectlOutput(t *testing.T) {
	// `kubectl get -o yaml` of a 1.24–1.26 cluster prints status: {} on policies; newer clusters print Pod fields
	// our k8s.io/api does not know.
	pod := strings.Replace(goodPod, "  phase: Running\n", "  phase: Running\n  futureStatusField: {a: 1}\n", 1)
	pol := policy("  podSelector: {}\n  ingress: [{from: [{podSelector: {}}]}]\n") + "status: {}\n"
	dir := writeFiles(t, map[string]string{"all.yaml": goodNamespace + "---\n" + pod + "---\n" + pol})
	code, out, errOut := render(t, "-f", dir, "--node", "node-a")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "10.244.0.10 : jump ing-") {
		t.Errorf("the pod is not dispatched:\n%s", out)
	}
}

func TestRenderNodeWarning(t *testing.T) {
	dir := writeFiles(t, map[string]string{"all.yaml": goodNamespace + "---\n" + goodPod})
	const warning = "warning: no pod has spec.nodeName=node-b; the ruleset enforces nothing on that node\n"
	for _, tc := range []struct {
		name, node, wantErr string
	}{
		{"node with pods", "node-a", ""},
		{"every node", "", ""},
		{"node without pods", "node-b", warning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := render(t, "-f", dir, "--node", tc.node)
			if code != 0 || !strings.Contains(out, "table inet nftpolicy {") {
				t.Fatalf("exit %d, stdout %q", code, out)
			}
			if errOut != tc.wantErr {
				t.Errorf("stderr %q, want %q", errOut, tc.wantErr)
			}
		})
	}
}

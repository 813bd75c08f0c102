package conformance

// The cases against upstream's own test code, without root: the Go files of conformance/tests (embedded in the
// module's conformance package) are parsed, and every ConformanceTest's manifest, subtest titles, probes
// (PokeServer: client, server, protocol, port, expectation) and the places where the test changes the cluster
// (patches, pod labels, namespace labels, deletions) must be exactly what the hand-written cases say. This keeps
// the transcription honest; the expectations themselves are still the ones written in cases_*.go.

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"

	upstream "sigs.k8s.io/network-policy-api/conformance"
)

// upTest is one parsed upstream ConformanceTest.
type upTest struct {
	name     string
	manifest string
	subtests []upSubtest
}

type upSubtest struct {
	title    string
	segments []upSegment
}

// upSegment is a run of probes with no state change between them; changed says the cluster was changed since
// the previous segment (or, for a test's first segment, since the manifest was applied).
type upSegment struct {
	changed bool
	probes  []Probe
}

func TestCasesMatchUpstreamCode(t *testing.T) {
	ups := parseUpstream(t)
	byName := map[string]upTest{}
	for _, u := range ups {
		byName[u.name] = u
	}
	var subtests, probes int
	seen := map[string]bool{}
	for _, tc := range Cases() {
		if seen[tc.Name] {
			t.Errorf("case %s listed twice", tc.Name)
		}
		seen[tc.Name] = true
		u, ok := byName[tc.Name]
		if !ok {
			t.Errorf("case %s: no upstream ConformanceTest of that ShortName", tc.Name)
			continue
		}
		if tc.Manifest != u.manifest {
			t.Errorf("case %s: manifest %s, upstream applies %s", tc.Name, tc.Manifest, u.manifest)
		}
		got, want := render(ourSubtests(tc)), render(u.subtests)
		if got != want {
			t.Errorf("case %s differs from upstream's code.\nours:\n%s\nupstream:\n%s", tc.Name, got, want)
		}
		for _, s := range u.subtests {
			subtests++
			for _, seg := range s.segments {
				probes += len(seg.probes)
			}
		}
	}
	for _, u := range ups {
		if !seen[u.name] {
			t.Errorf("upstream ConformanceTest %s has no case", u.name)
		}
	}
	// The research note counted 30 tests, 112 subtests and 397 probes (docs/design/clusternetworkpolicy.md §6.1).
	if len(ups) != 30 || subtests != 112 || probes != 397 {
		t.Errorf("upstream has %d tests, %d subtests and %d probes covered; want 30, 112 and 397", len(ups), subtests, probes)
	}
}

// ourSubtests groups the case's steps by subtest, in the shape parseUpstream gives, translating the node-peer
// probes back: a probe to the centaur on the client's other node stands for upstream's probe to centaur-1 (see
// nodePeerTarget).
func ourSubtests(tc Case) []upSubtest {
	var out []upSubtest
	prev := Step{}
	for _, st := range tc.Steps {
		if len(out) == 0 || out[len(out)-1].title != st.Subtest || st.After == "" {
			out = append(out, upSubtest{title: st.Subtest})
		}
		seg := upSegment{changed: st.stateKey() != prev.stateKey()}
		for _, p := range st.Probes {
			if isCentaur(p.To) && p.To == nodePeerTarget(p.From) {
				p.To = F1
			}
			seg.probes = append(seg.probes, p)
		}
		out[len(out)-1].segments = append(out[len(out)-1].segments, seg)
		prev = st
	}
	return out
}

func render(subs []upSubtest) string {
	var b strings.Builder
	for _, s := range subs {
		fmt.Fprintf(&b, "  %q\n", s.title)
		for _, seg := range s.segments {
			fmt.Fprintf(&b, "    segment (changed=%v)\n", seg.changed)
			for _, p := range seg.probes {
				fmt.Fprintf(&b, "      %s\n", p)
			}
		}
	}
	return b.String()
}

// parseUpstream reads every ConformanceTest of conformance/tests/*.go.
func parseUpstream(t *testing.T) []upTest {
	t.Helper()
	files, err := fs.Glob(upstream.Manifests, "tests/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("upstream test files: %v (%d found)", err, len(files))
	}
	var out []upTest
	fset := token.NewFileSet()
	for _, name := range files {
		src, err := upstream.Manifests.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, path.Base(name), src, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, v := range spec.(*ast.ValueSpec).Values {
					if lit, ok := v.(*ast.CompositeLit); ok && exprString(lit.Type) == "suite.ConformanceTest" {
						u, err := parseTest(lit)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						out = append(out, u)
					}
				}
			}
		}
	}
	return out
}

// parseTest reads one ConformanceTest literal.
func parseTest(lit *ast.CompositeLit) (upTest, error) {
	var u upTest
	var body *ast.BlockStmt
	for _, el := range lit.Elts {
		kv := el.(*ast.KeyValueExpr)
		switch exprString(kv.Key) {
		case "ShortName":
			u.name = stringLit(kv.Value)
		case "Manifests":
			ms := kv.Value.(*ast.CompositeLit).Elts
			if len(ms) != 1 {
				return u, fmt.Errorf("%s: %d manifests", u.name, len(ms))
			}
			u.manifest = stringLit(ms[0])
		case "Test":
			body = kv.Value.(*ast.FuncLit).Body
		}
	}
	w := &walker{pods: map[string]string{}, test: &u}
	if err := w.block(body); err != nil {
		return u, fmt.Errorf("%s: %w", u.name, err)
	}
	return u, nil
}

// walker follows a test body in source order: which pod each variable holds (GetPod), the current subtest, and
// whether the cluster was changed since the last probe.
type walker struct {
	pods    map[string]string // variable -> "namespace/name"
	test    *upTest
	changed bool
	cleanup bool // the current subtest registered a t.Cleanup that changes the cluster
}

func (w *walker) block(b *ast.BlockStmt) error {
	for _, s := range b.List {
		if err := w.stmt(s); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) stmt(s ast.Stmt) error {
	switch s := s.(type) {
	case *ast.AssignStmt:
		for i, rhs := range s.Rhs {
			if c, ok := rhs.(*ast.CallExpr); ok && exprString(c.Fun) == "kubernetes.GetPod" {
				w.pods[exprString(s.Lhs[i])] = stringLit(c.Args[2]) + "/" + stringLit(c.Args[3])
				continue
			}
			if c, ok := rhs.(*ast.CallExpr); ok {
				if err := w.call(c); err != nil {
					return err
				}
			}
		}
	case *ast.ExprStmt:
		if c, ok := s.X.(*ast.CallExpr); ok {
			return w.call(c)
		}
	case *ast.BlockStmt:
		return w.block(s)
	}
	return nil
}

// mutations are the calls by which upstream tests change the cluster.
var mutations = []string{
	"kubernetes.PatchClusterNetworkPolicy", "kubernetes.PatchNamespace",
	"kubernetes.SetPodLabel", "kubernetes.RemovePodLabel", "s.Client.Delete",
}

func (w *walker) call(c *ast.CallExpr) error {
	fn := exprString(c.Fun)
	switch {
	case fn == "t.Run":
		w.test.subtests = append(w.test.subtests, upSubtest{title: stringLit(c.Args[0])})
		w.cleanup = false
		if err := w.block(c.Args[1].(*ast.FuncLit).Body); err != nil {
			return err
		}
		// A cleanup that changes the cluster runs when the subtest ends.
		w.changed = w.changed || w.cleanup
		w.cleanup = false
	case fn == "t.Cleanup":
		ast.Inspect(c.Args[0], func(n ast.Node) bool {
			if cc, ok := n.(*ast.CallExpr); ok && slices.Contains(mutations, exprString(cc.Fun)) {
				w.cleanup = true
			}
			return true
		})
	case slices.Contains(mutations, fn):
		w.changed = true
	case fn == "kubernetes.PokeServer":
		p, err := w.probe(c)
		if err != nil {
			return err
		}
		if len(w.test.subtests) == 0 {
			return fmt.Errorf("probe outside a subtest")
		}
		s := &w.test.subtests[len(w.test.subtests)-1]
		if w.changed || len(s.segments) == 0 {
			s.segments = append(s.segments, upSegment{changed: w.changed})
			w.changed = false
		}
		seg := &s.segments[len(s.segments)-1]
		seg.probes = append(seg.probes, p)
	}
	return nil
}

// probe reads PokeServer(t, cs, cfg, clientNamespace, clientPod, protocol, server.Status.PodIP, int32(port), timeouts,
// expected).
func (w *walker) probe(c *ast.CallExpr) (Probe, error) {
	if len(c.Args) != 10 {
		return Probe{}, fmt.Errorf("PokeServer with %d arguments", len(c.Args))
	}
	server := exprString(c.Args[6])
	v, ok := strings.CutSuffix(server, ".Status.PodIP")
	if !ok || w.pods[v] == "" {
		return Probe{}, fmt.Errorf("PokeServer to %s: not a known pod's IP", server)
	}
	p := Probe{From: stringLit(c.Args[3]) + "/" + stringLit(c.Args[4]), To: w.pods[v]}
	switch proto := stringLit(c.Args[5]); proto {
	case "tcp":
		p.Protocol = TCP
	case "udp":
		p.Protocol = UDP
	case "sctp":
		p.Protocol = SCTP
	default:
		return p, fmt.Errorf("protocol %q", proto)
	}
	port := c.Args[7].(*ast.CallExpr).Args[0] // int32(...)
	if idx, ok := port.(*ast.IndexExpr); ok && exprString(idx.X) == "s.HostNetworkPorts" {
		i, err := strconv.Atoi(idx.Index.(*ast.BasicLit).Value)
		if err != nil {
			return p, err
		}
		p.Port = HNP(i)
	} else {
		n, err := strconv.Atoi(port.(*ast.BasicLit).Value)
		if err != nil {
			return p, err
		}
		p.Port = int32(n)
	}
	switch exp := exprString(c.Args[9]); exp {
	case "true":
		p.Allowed = true
	case "false":
	default:
		return p, fmt.Errorf("expectation %s", exp)
	}
	return p, nil
}

// exprString renders selectors and identifiers: "kubernetes.PokeServer", "s.Client.Delete".
func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return exprString(e.X) + "." + e.Sel.Name
	}
	return fmt.Sprintf("%T", e)
}

func stringLit(e ast.Expr) string {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return fmt.Sprintf("<%T>", e)
	}
	s, err := strconv.Unquote(b.Value)
	if err != nil {
		return b.Value
	}
	return s
}

// stateKey identifies the step's state, to tell whether it differs from another step's.
func (s Step) stateKey() string {
	var b strings.Builder
	for _, e := range s.Edits {
		fmt.Fprintf(&b, "edit %s\n", e.What)
	}
	for _, m := range []map[string]map[string]string{s.NamespaceLabels, s.PodLabels} {
		for _, k := range sortedKeys(m) {
			fmt.Fprintf(&b, "labels %s:", k)
			for _, l := range sortedKeys(m[k]) {
				fmt.Fprintf(&b, " %s=%s", l, m[k][l])
			}
			b.WriteString("\n")
		}
		b.WriteString("--\n")
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

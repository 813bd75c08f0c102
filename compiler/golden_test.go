package compiler_test

// Golden tests of the compiler: every directory of testdata/ is one case (see testdata/README.md). The input is a
// set of Kubernetes objects as `kubectl get -o yaml` prints them; the expected output is the nft script of
// `table inet nftpolicy`, compared byte for byte. Run `go test ./compiler -run Golden -update` to rewrite the
// want.nft files, then read the diff: every change of the ruleset must be explained by the change of the code.

import (
	"bytes"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
)

var update = flag.Bool("update", false, "rewrite compiler/testdata/*/want.nft from the current output")

// Kernel limits the rendered table must respect.
const (
	maxNameLen    = 64  // set and chain names (the kernel allows 255; we keep well below so nft tooling stays readable)
	maxCommentLen = 127 // rule comments: 128 bytes with the terminating NUL
	maxChainRules = 9   // per-pod chains: at most 4 lookups per address family and the final drop
)

// Bounds of the chains of groups with ClusterNetworkPolicy tiers: per tier and action at most 4 set shapes in
// 2 families, Admin Pass conflicts at most the 2 ported shapes in 2 families, the NetworkPolicy lookups as
// above, and at most 3 other rules (log, the final verdict, the goto to the Admin Pass chain).
const (
	maxTierActionLookups = 8
	maxPassLookups       = 4
	maxNPLookups         = 8
	maxOtherRules        = 3
)

// goldenCase is one directory of testdata/.
type goldenCase struct {
	name string
	dir  string
	node string // "" = every pod is local
	objs *manifest.Objects
	opts compiler.Options
}

// goldenCases loads every case; a directory without input.yaml is an error, not a silent skip.
func goldenCases(t *testing.T) []goldenCase {
	t.Helper()
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	var out []goldenCase
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join("testdata", e.Name())
		c := goldenCase{name: e.Name(), dir: dir}
		objs, err := manifest.Load([]string{filepath.Join(dir, "input.yaml")}, nil)
		if err != nil {
			t.Fatalf("case %s: %v", c.name, err)
		}
		c.objs = objs
		if b, err := os.ReadFile(filepath.Join(dir, "node")); err == nil {
			c.node = strings.TrimSpace(string(b))
			if c.node == "" || strings.ContainsAny(c.node, " \t\n") {
				t.Fatalf("case %s: node file must hold exactly one node name, got %q", c.name, b)
			}
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
		c.opts = compiler.DefaultOptions
		if b, err := os.ReadFile(filepath.Join(dir, "options")); err == nil {
			for _, word := range strings.Fields(string(b)) {
				switch word {
				case "audit":
					c.opts.Audit = true
				default:
					t.Fatalf("case %s: options file: unknown option %q (known: audit)", c.name, word)
				}
			}
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatal("no golden cases in testdata/")
	}
	return out
}

// compile runs the whole pipeline on the case's objects (or objs, when not nil): builder, compiler.
func (c *goldenCase) compile(t *testing.T, objs *manifest.Objects) *nft.Table {
	t.Helper()
	if objs == nil {
		objs = c.objs
	}
	n, err := build.Node(objs.Cluster(), c.node)
	if err != nil {
		t.Fatalf("build.Node: %v", err)
	}
	return compiler.CompileWith(n, c.opts)
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			got := c.compile(t, nil).Text()
			path := filepath.Join(c.dir, "want.nft")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run `go test ./compiler -run Golden -update` to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the compiler's output (-want +got):\n%s", path, lineDiff(string(want), got))
			}
		})
	}
}

// TestGoldenDeterministic shuffles the objects of every case: the output must not depend on their order.
func TestGoldenDeterministic(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			ref := c.compile(t, nil).Text()
			for seed := uint64(1); seed <= 8; seed++ {
				r := mrand.New(mrand.NewPCG(seed, 0x6e667470))
				objs := shuffleObjects(r, c.objs)
				if got := c.compile(t, objs).Text(); got != ref {
					t.Fatalf("seed %d: output depends on object order (-first +shuffled):\n%s", seed, lineDiff(ref, got))
				}
			}
		})
	}
}

// shuffleObjects returns a deep copy of objs with the objects and every list whose order carries no meaning
// shuffled: NetworkPolicy rules (their union is what counts), peers, ports, excepts, policyTypes, match
// expressions and pod addresses; ClusterNetworkPolicy peers, networks and protocols (not their rules, whose
// order is precedence); node addresses.
func shuffleObjects(r *mrand.Rand, objs *manifest.Objects) *manifest.Objects {
	out := &manifest.Objects{}
	for _, ns := range objs.Namespaces {
		out.Namespaces = append(out.Namespaces, ns.DeepCopy())
	}
	for _, p := range objs.Pods {
		p = p.DeepCopy()
		p.Status.PodIPs = shuffled(r, p.Status.PodIPs)
		out.Pods = append(out.Pods, p)
	}
	sel := func(s *metav1.LabelSelector) {
		if s != nil {
			s.MatchExpressions = shuffled(r, s.MatchExpressions)
		}
	}
	peers := func(ps []networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer {
		ps = shuffled(r, ps)
		for i := range ps {
			sel(ps[i].PodSelector)
			sel(ps[i].NamespaceSelector)
			if ps[i].IPBlock != nil {
				ps[i].IPBlock.Except = shuffled(r, ps[i].IPBlock.Except)
			}
		}
		return ps
	}
	for _, p := range objs.Policies {
		p = p.DeepCopy()
		sel(&p.Spec.PodSelector)
		p.Spec.PolicyTypes = shuffled(r, p.Spec.PolicyTypes)
		p.Spec.Ingress = shuffled(r, p.Spec.Ingress)
		for i := range p.Spec.Ingress {
			p.Spec.Ingress[i].From = peers(p.Spec.Ingress[i].From)
			p.Spec.Ingress[i].Ports = shuffled(r, p.Spec.Ingress[i].Ports)
		}
		p.Spec.Egress = shuffled(r, p.Spec.Egress)
		for i := range p.Spec.Egress {
			p.Spec.Egress[i].To = peers(p.Spec.Egress[i].To)
			p.Spec.Egress[i].Ports = shuffled(r, p.Spec.Egress[i].Ports)
		}
		out.Policies = append(out.Policies, p)
	}
	for _, n := range objs.Nodes {
		n = n.DeepCopy()
		n.Status.Addresses = shuffled(r, n.Status.Addresses)
		out.Nodes = append(out.Nodes, n)
	}
	for _, p := range objs.ClusterPolicies {
		p = p.DeepCopy()
		for i := range p.Spec.Ingress {
			p.Spec.Ingress[i].From = shuffled(r, p.Spec.Ingress[i].From)
			p.Spec.Ingress[i].Protocols = shuffled(r, p.Spec.Ingress[i].Protocols)
		}
		for i := range p.Spec.Egress {
			p.Spec.Egress[i].To = shuffled(r, p.Spec.Egress[i].To)
			for j := range p.Spec.Egress[i].To {
				p.Spec.Egress[i].To[j].Networks = shuffled(r, p.Spec.Egress[i].To[j].Networks)
			}
			p.Spec.Egress[i].Protocols = shuffled(r, p.Spec.Egress[i].Protocols)
		}
		out.ClusterPolicies = append(out.ClusterPolicies, p)
	}
	out.Namespaces = shuffled(r, out.Namespaces)
	out.Pods = shuffled(r, out.Pods)
	out.Nodes = shuffled(r, out.Nodes)
	out.Policies = shuffled(r, out.Policies)
	out.ClusterPolicies = shuffled(r, out.ClusterPolicies)
	return out
}

// shuffled returns a shuffled copy of in; nil stays nil and empty stays empty (`ingress: []` differs from absent).
func shuffled[T any](r *mrand.Rand, in []T) []T {
	if in == nil {
		return nil
	}
	out := append(make([]T, 0, len(in)), in...)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestGoldenShape checks the compiler's contract on every case: per-pod chains are short (no rule list grows with
// pods or policies), and names and comments fit the kernel's limits.
func TestGoldenShape(t *testing.T) {
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			tab := c.compile(t, nil)
			checkShape(t, tab)
		})
	}
}

func checkShape(t *testing.T, tab *nft.Table) {
	t.Helper()
	sets := map[string]bool{}
	for _, s := range tab.Sets {
		if len(s.Name) > maxNameLen {
			t.Errorf("set %s: name is %d bytes, more than %d", s.Name, len(s.Name), maxNameLen)
		}
		if sets[s.Name] {
			t.Errorf("set %s: defined twice", s.Name)
		}
		sets[s.Name] = true
	}
	chains := map[string]bool{}
	for _, ch := range tab.Chains {
		if len(ch.Name) > maxNameLen {
			t.Errorf("chain %s: name is %d bytes, more than %d", ch.Name, len(ch.Name), maxNameLen)
		}
		if chains[ch.Name] {
			t.Errorf("chain %s: defined twice", ch.Name)
		}
		chains[ch.Name] = true
		if ch.Name != compiler.ForwardChain {
			checkChainBounds(t, ch)
		}
		for i, r := range ch.Rules {
			if len(r.Comment) > maxCommentLen {
				t.Errorf("chain %s rule %d: comment is %d bytes, more than %d", ch.Name, i, len(r.Comment), maxCommentLen)
			}
			if (r.Match == nft.Lookup || r.Match == nft.VerdictMap) && !sets[r.Set] {
				t.Errorf("chain %s rule %d: refers to undefined set %s", ch.Name, i, r.Set)
			}
		}
	}
	for _, s := range tab.Sets {
		for _, e := range s.Elements {
			if s.Map && (e.Verdict.Kind == nft.Jump || e.Verdict.Kind == nft.Goto) && !chains[e.Verdict.Chain] {
				t.Errorf("map %s: element %s jumps to undefined chain", s.Name, nft.ElementText(s, e))
			}
		}
	}
}

// checkChainBounds checks that a group's chain has no more rules than its tiers allow: per-packet work does not
// grow with pods or policies. A chain without tier lookups is held to maxChainRules.
func checkChainBounds(t *testing.T, ch *nft.Chain) {
	t.Helper()
	counts := map[string]int{}
	tiered := false
	for _, r := range ch.Rules {
		kind := "other"
		if r.Match == nft.Lookup {
			kind = "np"
			for _, k := range []string{"-adm-deny-", "-adm-accept-", "-adm-pass-", "-bas-deny-", "-bas-accept-"} {
				if strings.Contains(r.Set, k) {
					kind, tiered = k, true
				}
			}
		}
		counts[kind]++
	}
	if !tiered {
		if len(ch.Rules) > maxChainRules {
			t.Errorf("chain %s: %d rules, more than %d", ch.Name, len(ch.Rules), maxChainRules)
		}
		return
	}
	for kind, n := range counts {
		limit := maxTierActionLookups
		switch kind {
		case "-adm-pass-":
			limit = maxPassLookups
		case "np":
			limit = maxNPLookups
		case "other":
			limit = maxOtherRules
		}
		if n > limit {
			t.Errorf("chain %s: %d rules of kind %s, more than %d", ch.Name, n, kind, limit)
		}
	}
}

// TestGoldenNftAccepts feeds every want.nft to `nft -c -f` inside a fresh network namespace: the committed
// rulesets are valid for the nft of Debian 12 and the running kernel. Never run in the root namespace.
func TestGoldenNftAccepts(t *testing.T) {
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found (run `make deps`): %v", tool, err)
		}
	}
	ns, _ := netnstest.New(t, "g") // fatal when not root
	for _, c := range goldenCases(t) {
		t.Run(c.name, func(t *testing.T) {
			path, err := filepath.Abs(filepath.Join(c.dir, "want.nft"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Fatal(err)
			}
			if out, err := netnstest.Exec(t, ns, "", "nft", "-c", "-f", path); err != nil {
				t.Errorf("nft -c -f %s: %v\n%s", path, err, out)
			}
		})
	}
}

// lineDiff is a small line diff for failure messages: the common prefix and suffix are cut, the rest shown.
func lineDiff(want, got string) string {
	w := strings.SplitAfter(want, "\n")
	g := strings.SplitAfter(got, "\n")
	i := 0
	for i < len(w) && i < len(g) && w[i] == g[i] {
		i++
	}
	j := 0
	for j < len(w)-i && j < len(g)-i && w[len(w)-1-j] == g[len(g)-1-j] {
		j++
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "@@ line %d @@\n", i+1)
	for _, l := range w[i : len(w)-j] {
		b.WriteString("-" + strings.TrimSuffix(l, "\n") + "\n")
	}
	for _, l := range g[i : len(g)-j] {
		b.WriteString("+" + strings.TrimSuffix(l, "\n") + "\n")
	}
	return b.String()
}

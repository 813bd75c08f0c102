package fuzz

import (
	"errors"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	networkingv1 "k8s.io/api/networking/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// Limits of the compiled table.
const (
	// maxNameLen is the compiler's own bound for set and chain names (compiler/golden_test.go); the kernel's
	// NFT_NAME_MAXLEN is 256 bytes with the NUL.
	maxNameLen = 64
	// maxComment is nft's limit for a rule comment: NFTNL_UDATA_COMMENT_MAXLEN is 128 bytes with the NUL.
	maxComment = 127
)

// objectName is what the compiler may name sets and chains: an nft identifier without quoting.
var objectName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// buildChecked builds c for the input's node and returns the IR, or nil when the build failed as it may: only
// for an input with invalid values, with an error naming one of its objects. The same objects in reverse order
// must give the same IR or the same error.
func buildChecked(t *testing.T, d *decoded, c build.Cluster, what string) *ir.Node {
	t.Helper()
	n, err := build.Node(c, d.node)
	rn, rerr := build.Node(reversed(c), d.node)
	if errText(err) != errText(rerr) || !reflect.DeepEqual(n, rn) {
		t.Fatalf("%s: the objects in reverse order build differently: error %v, reversed %v\n%s", what, err, rerr, describe(c))
	}
	if err == nil {
		return n
	}
	if !d.maybeInvalid {
		t.Fatalf("%s: a valid cluster is refused: %v\n%s", what, err, describe(c))
	}
	if !namesObject(err, c) {
		t.Fatalf("%s: the error names no object of the input: %v\n%s", what, err, describe(c))
	}
	return nil
}

// checkBuilder drives one Builder through the marked state (if any) and the cluster, twice: after each step it
// must return what build.Node returns, an error exactly when Node fails (which error may differ).
func checkBuilder(t *testing.T, d *decoded) {
	t.Helper()
	b := build.NewBuilder(d.node)
	var steps []build.Cluster
	if d.prev != nil {
		steps = append(steps, *d.prev)
	}
	steps = append(steps, d.cur, d.cur)
	for i, c := range steps {
		want, werr := build.Node(c, d.node)
		got, gerr := b.Node(c)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("Builder step %d: error %v, build.Node's %v\n%s", i, gerr, werr, describe(c))
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Builder step %d: the IR differs from build.Node's\nBuilder: %+v\nNode:    %+v\n%s", i, got, want, describe(c))
		}
	}
}

// namesObject reports whether err names an object of c: a *build.FieldError of one of its NetworkPolicies or
// ClusterNetworkPolicies with a field path, or a message that starts with "Pod ns/name: ", "Namespace name: ",
// "NetworkPolicy ns/name: ", "ClusterNetworkPolicy name: " or "Node name: ".
func namesObject(err error, c build.Cluster) bool {
	msg := err.Error()
	var fe *build.FieldError
	if errors.As(err, &fe) {
		if fe.Field == "" || fe.Detail == "" {
			return false
		}
		if fe.Kind == "ClusterNetworkPolicy" {
			return fe.Policy.Namespace == "" && strings.HasPrefix(msg, "ClusterNetworkPolicy "+fe.Policy.Name+": ") &&
				slices.ContainsFunc(c.ClusterPolicies, func(p *cnp.ClusterNetworkPolicy) bool { return p.Name == fe.Policy.Name })
		}
		return fe.Kind == "" && strings.HasPrefix(msg, "NetworkPolicy "+fe.Policy.String()+": ") &&
			slices.ContainsFunc(c.Policies, func(p *networkingv1.NetworkPolicy) bool {
				return p.Namespace == fe.Policy.Namespace && p.Name == fe.Policy.Name
			})
	}
	var prefixes []string
	for _, p := range c.Pods {
		prefixes = append(prefixes, "Pod "+p.Namespace+"/"+p.Name+": ")
	}
	for _, ns := range c.Namespaces {
		prefixes = append(prefixes, "Namespace "+ns.Name+": ")
	}
	for _, p := range c.Policies {
		prefixes = append(prefixes, "NetworkPolicy "+p.Namespace+"/"+p.Name+": ")
	}
	for _, p := range c.ClusterPolicies {
		prefixes = append(prefixes, "ClusterNetworkPolicy "+p.Name+": ")
	}
	for _, n := range c.Nodes {
		prefixes = append(prefixes, "Node "+n.Name+": ")
	}
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(msg, p) })
}

// compileChecked compiles n and checks the table against the kernel's limits and its own references; compiling
// the IR again gives the same text.
func compileChecked(t *testing.T, n *ir.Node) *nft.Table {
	t.Helper()
	tab := compiler.Compile(n)
	if again := compiler.Compile(n).Text(); again != tab.Text() {
		t.Fatalf("one IR compiled twice renders differently:\n%s\n---\n%s", tab.Text(), again)
	}
	sets, chains := map[string]*nft.Set{}, map[string]bool{}
	for _, s := range tab.Sets {
		checkName(t, "set", s.Name)
		checkTierSet(t, s)
		if sets[s.Name] != nil {
			t.Fatalf("set %s defined twice", s.Name)
		}
		sets[s.Name] = s
		if !slices.IsSortedFunc(s.Elements, nft.CompareElements) {
			t.Fatalf("set %s: elements not sorted", s.Name)
		}
		for i := 1; i < len(s.Elements); i++ {
			if nft.CompareElements(s.Elements[i-1], s.Elements[i]) == 0 {
				t.Fatalf("set %s: element %s twice", s.Name, nft.ElementText(s, s.Elements[i]))
			}
		}
	}
	for _, ch := range tab.Chains {
		checkName(t, "chain", ch.Name)
		if chains[ch.Name] {
			t.Fatalf("chain %s defined twice", ch.Name)
		}
		chains[ch.Name] = true
	}
	for _, ch := range tab.Chains {
		if ch.Hook == nil {
			checkChainBounds(t, ch)
		}
		for i, r := range ch.Rules {
			if len(r.Comment) > maxComment || !utf8.ValidString(r.Comment) || strings.ContainsAny(r.Comment, "\x00\"\n") {
				t.Fatalf("chain %s rule %d: comment of %d bytes (at most %d, valid UTF-8, no NUL, quote or newline): %q",
					ch.Name, i, len(r.Comment), maxComment, r.Comment)
			}
			if (r.Match == nft.Lookup || r.Match == nft.VerdictMap) && sets[r.Set] == nil {
				t.Fatalf("chain %s rule %d: set %s is not defined", ch.Name, i, r.Set)
			}
			if (r.Verdict.Kind == nft.Jump || r.Verdict.Kind == nft.Goto) && !chains[r.Verdict.Chain] {
				t.Fatalf("chain %s rule %d: chain %s is not defined", ch.Name, i, r.Verdict.Chain)
			}
		}
	}
	for _, s := range tab.Sets {
		for _, e := range s.Elements {
			if s.Map && (e.Verdict.Kind == nft.Jump || e.Verdict.Kind == nft.Goto) && !chains[e.Verdict.Chain] {
				t.Fatalf("map %s: %s jumps to an undefined chain", s.Name, nft.ElementText(s, e))
			}
		}
	}
	return tab
}

func checkName(t *testing.T, kind, name string) {
	t.Helper()
	if len(name) > maxNameLen || !objectName.MatchString(name) {
		t.Fatalf("%s name %q: %d bytes (at most %d) or not a plain nft identifier", kind, name, len(name), maxNameLen)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// reversed lists the same objects in reverse order. A ClusterNetworkPolicy's rules keep their order: it is their
// precedence; the list of ClusterNetworkPolicies is reversed.
func reversed(c build.Cluster) build.Cluster {
	r := build.Cluster{Namespaces: slices.Clone(c.Namespaces), Pods: slices.Clone(c.Pods), Policies: slices.Clone(c.Policies),
		ClusterPolicies: slices.Clone(c.ClusterPolicies), Nodes: slices.Clone(c.Nodes)}
	slices.Reverse(r.Namespaces)
	slices.Reverse(r.Pods)
	slices.Reverse(r.Policies)
	slices.Reverse(r.ClusterPolicies)
	slices.Reverse(r.Nodes)
	return r
}

// describe prints the cluster as YAML for a failure message.
func describe(c build.Cluster) string {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

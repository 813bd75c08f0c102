package compiler_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
)

// strictGuard is the rule strict mode adds, as the compiler makes it and as nft 1.0.6 lists it.
var strictGuard = nft.Rule{Match: nft.CtNewTCPNotSYN, Verdict: nft.Verdict{Kind: nft.Drop}}

const strictGuardText = "ct state new tcp flags != syn / fin,syn,rst,ack drop"

// compileCase compiles case name of testdata/ (every pod local) with options o.
func compileCase(t *testing.T, name string, o compiler.Options) *nft.Table {
	t.Helper()
	objs, err := manifest.Load([]string{filepath.Join("testdata", name, "input.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := build.Node(build.Cluster{Namespaces: objs.Namespaces, Pods: objs.Pods, Policies: objs.Policies}, "")
	if err != nil {
		t.Fatal(err)
	}
	return compiler.CompileWith(n, o)
}

// TestCompileStrict: strict mode adds exactly one rule, the guard, right after `ct state established,related
// accept` — and only on a node where some pod is isolated; nothing else of the table changes.
func TestCompileStrict(t *testing.T) {
	strict := compiler.DefaultOptions
	strict.Strict = true
	for _, name := range []string{"dual-stack", "deny-all-egress", "audit-namespace"} {
		t.Run(name, func(t *testing.T) {
			def, got := compileCase(t, name, compiler.DefaultOptions), compileCase(t, name, strict)
			fwd, strictFwd := chain(def, compiler.ForwardChain), chain(got, compiler.ForwardChain)
			want := slices.Insert(slices.Clone(fwd.Rules), 1, strictGuard)
			if !slices.EqualFunc(strictFwd.Rules, want, nft.Rule.Equal) {
				t.Errorf("forward chain:\n%s\nwant the default one with the guard second", got.Text())
			}
			if fwd.Rules[0].Match != nft.CtEstablishedRelated {
				t.Fatalf("the default forward chain does not start with ct state established,related")
			}
			strictFwd.Rules = fwd.Rules
			if p := nft.Diff(def, got); !p.Empty() {
				t.Errorf("strict mode changed more than the forward chain: %+v", p)
			}
			if !strings.Contains(compileCase(t, name, strict).Text(), "\t\t"+strictGuardText+"\n") {
				t.Errorf("the guard is not rendered as %q", strictGuardText)
			}
		})
	}
	t.Run("no-policies", func(t *testing.T) {
		def := compileCase(t, "no-policies", compiler.DefaultOptions).Text()
		if got := compileCase(t, "no-policies", strict).Text(); got != def {
			t.Errorf("no pod is isolated: strict mode must change nothing (-default +strict):\n%s", lineDiff(def, got))
		}
	})
}

// TestCompileStrictLoadsAndListsBack loads a strict table with `nft -f` in a scratch network namespace: nft
// accepts it and lists the guard exactly as rendered.
func TestCompileStrictLoadsAndListsBack(t *testing.T) {
	strict := compiler.DefaultOptions
	strict.Strict = true
	text := compileCase(t, "dual-stack", strict).Text()
	ns, _ := netnstest.New(t, "s") // fatal when not root
	if out, err := netnstest.Exec(t, ns, text, "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	listed, err := netnstest.Exec(t, ns, "", "nft", "list", "chain", "inet", nft.TableName, compiler.ForwardChain)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(listed, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.TrimSpace(l) == "ct state established,related accept" })
	if i < 0 || i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != strictGuardText {
		t.Errorf("nft lists the forward chain as\n%s\nwant %q right after ct state established,related accept", listed,
			strictGuardText)
	}
}

func chain(t *nft.Table, name string) *nft.Chain {
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

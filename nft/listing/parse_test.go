package listing

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
	"github.com/nftpolicy/nftpolicy/nft"
)

// The files of testdata/ are real listings of nft 1.0.6 (see testdata/README.md): <case>.nft is compiler case
// <case>'s want.nft loaded with `nft -f` and listed back.

// desired compiles compiler/testdata/<name>.
func desired(t *testing.T, name string) *nft.Table {
	t.Helper()
	return desiredWith(t, name, compiler.DefaultOptions)
}

// desiredWith compiles compiler/testdata/<name> with options o.
func desiredWith(t *testing.T, name string, o compiler.Options) *nft.Table {
	t.Helper()
	dir := filepath.Join("..", "..", "compiler", "testdata", name)
	objs, err := manifest.Load([]string{filepath.Join(dir, "input.yaml")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	node := ""
	if b, err := os.ReadFile(filepath.Join(dir, "node")); err == nil {
		node = strings.TrimSpace(string(b))
	}
	n, err := build.Node(objs.Cluster(), node)
	if err != nil {
		t.Fatal(err)
	}
	return compiler.CompileWith(n, o)
}

func parseFile(t *testing.T, name string) *Result {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// TestParseListings: every saved listing of a compiler case reads back as the compiled table, both ways.
func TestParseListings(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.nft")
	n := 0
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".nft")
		if _, err := os.Stat(filepath.Join("..", "..", "compiler", "testdata", name)); err != nil {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			res := parseFile(t, name+".nft")
			want := desired(t, name)
			if len(res.Notes) > 0 || res.Table == nil {
				t.Fatalf("notes %v, table %v", res.Notes, res.Table)
			}
			if p := nft.Diff(res.Table, want); !p.Empty() {
				t.Errorf("listing vs compiled: %+v", p)
			}
			if p := nft.Diff(want, res.Table); !p.Empty() {
				t.Errorf("compiled vs listing: %+v", p)
			}
			if got := res.Table.Text(); got != want.Text() {
				t.Errorf("Text() of the parsed listing differs from the compiled one:\n%s", got)
			}
		})
	}
	if n < 5 {
		t.Fatalf("only %d listings of compiler cases in testdata/", n)
	}
}

// TestParseStrictListing: strict-dual-stack.nft is dual-stack compiled in strict mode, loaded and listed. It
// reads back as that table, the guard against mid-stream TCP segments (nft.CtNewTCPNotSYN) in its place.
func TestParseStrictListing(t *testing.T) {
	res := parseFile(t, "strict-dual-stack.nft")
	o := compiler.DefaultOptions
	o.Strict = true
	want := desiredWith(t, "dual-stack", o)
	if len(res.Notes) > 0 || res.Table == nil {
		t.Fatalf("notes %v, table %v", res.Notes, res.Table)
	}
	if p := nft.Diff(res.Table, want); !p.Empty() {
		t.Errorf("listing vs compiled: %+v", p)
	}
	if got := res.Table.Text(); got != want.Text() {
		t.Errorf("Text() of the parsed listing differs from the compiled one:\n%s", got)
	}
	var guard nft.Rule
	for _, c := range res.Table.Chains {
		if c.Name == "forward" {
			guard = c.Rules[1]
		}
	}
	if guard.Match != nft.CtNewTCPNotSYN || guard.Verdict.Kind != nft.Drop {
		t.Errorf("second rule of forward: %+v, want the guard", guard)
	}
	// The same rule as one would write it by hand.
	for _, text := range []string{"ct state new tcp flags & (fin|syn|rst|ack) != syn drop",
		"ct state new tcp flags != syn / fin,syn,rst,ack drop"} {
		if r := parseRule(text); !r.Equal(guard) {
			t.Errorf("%q: %+v", text, r)
		}
	}
	if r := parseRule("ct state new tcp flags != syn / syn,ack drop"); r.Match != nft.Unknown {
		t.Errorf("other flags read as %+v", r)
	}
}

// TestParseForeign: foreign.nft is ipblock-except's table after someone changed it by hand (testdata/README.md).
func TestParseForeign(t *testing.T) {
	res := parseFile(t, "foreign.nft")
	var notes []string
	for _, n := range res.Notes {
		notes = append(notes, n.Object+": "+n.Text)
	}
	wantNotes := []string{
		"table: counter c1",
		"map ingress-v4: element 10.9.9.9 comment \"hand\" : drop",
		"set blocked: timeout 1h",
		"set tf: typeof ip saddr",
		"chain early: comment \"x\"",
	}
	if !slices.Equal(notes, wantNotes) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(wantNotes, "\n"))
	}
	p := nft.Diff(res.Table, desired(t, "ipblock-except"))
	if !slices.Equal(p.DelSets, []string{"blocked", "tf"}) || len(p.AddSets) != 0 {
		t.Errorf("sets: del %v add %d", p.DelSets, len(p.AddSets))
	}
	if !slices.Equal(p.DelChains, []string{"early"}) || len(p.AddChains) != 0 {
		t.Errorf("chains: del %v add %d", p.DelChains, len(p.AddChains))
	}
	var written []string
	for _, c := range p.WriteChains {
		written = append(written, c.Name)
	}
	if !slices.Equal(written, []string{"egr-38d8ab0334384550", "forward"}) {
		t.Errorf("rewritten chains %v", written)
	}
	if add := p.AddElements["ing-ffc41de2568c7fed-v4-n"]; len(add) != 1 || add[0].Addr.String() != "192.168.128.0" {
		t.Errorf("add elements %v", p.AddElements)
	}
	if len(p.DelElements) != 0 {
		t.Errorf("del elements %v", p.DelElements)
	}
	chains := map[string]*nft.Chain{}
	for _, c := range res.Table.Chains {
		chains[c.Name] = c
	}
	last := chains["forward"].Rules[len(chains["forward"].Rules)-1]
	if last.Match != nft.Unknown || last.Comment != `tcp dport 22 counter packets 0 bytes 0 accept comment "ssh from someone"` {
		t.Errorf("hand-added rule: %+v", last)
	}
	if h := chains["early"].Hook; h == nil || h.Name != "type filter hook input priority filter - 5; policy drop;" {
		t.Errorf("early's hook: %+v", h)
	}
}

// TestParseRuleset: `nft -a list ruleset` — handles stripped, other tables skipped, priorities read.
func TestParseRuleset(t *testing.T) {
	res := parseFile(t, "ruleset-handles.nft")
	if len(res.Notes) > 0 {
		t.Errorf("notes: %v", res.Notes)
	}
	hooks := map[string]nft.Hook{}
	for _, c := range res.Table.Chains {
		if c.Hook != nil {
			hooks[c.Name] = *c.Hook
		}
	}
	want := map[string]nft.Hook{"forward": {Name: "forward"}, "mangled": {Name: "output", Priority: -150},
		"raw2": {Name: "output", Priority: -200}, "plus": {Name: "output", Priority: 7}}
	for name, h := range want {
		if hooks[name] != h {
			t.Errorf("chain %s: hook %+v, want %+v", name, hooks[name], h)
		}
	}
	p := nft.Diff(res.Table, desired(t, "dual-stack"))
	if !slices.Equal(p.DelChains, []string{"mangled", "plus", "raw2"}) || len(p.WriteChains) != 0 || len(p.DelSets) != 0 ||
		len(p.AddElements)+len(p.DelElements) != 0 {
		t.Errorf("plan %+v", p)
	}
}

func TestParseNoTable(t *testing.T) {
	for _, in := range []string{"", "\n\n", "# nothing\n", "table ip filter {\n\tchain c {\n\t}\n}\n"} {
		res, err := Parse(strings.NewReader(in))
		if err != nil || res.Table != nil || len(res.Notes) != 0 {
			t.Errorf("%q: %+v, %v", in, res, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"apiVersion: v1\nkind: Pod\n", `line 1: "apiVersion: v1": want ` + "`table inet nftpolicy {`"},
		{`{"nftables": []}`, "line 1: JSON (nft -j) is not read"},
		{"table inet nftpolicy {\n\tset s {\n\t\ttype ipv4_addr\n", "line 2: set s: the listing ends inside it"},
		{"table inet nftpolicy {\n", "line 1: table inet nftpolicy: the listing ends inside it"},
		{"table inet nftpolicy {\n}\ntable inet nftpolicy {\n}\n", "line 3: table inet nftpolicy listed twice"},
		{"table inet nftpolicy {\n\tchain c {\n\t}\n\tchain c {\n\t}\n}\n", "line 4: chain c listed twice (first on line 2)"},
		{"table inet nftpolicy {\n\tset s {\n\t\telements = { 1.2.3.4,\n", "line 3: elements: the listing ends inside it"},
		{"table ip x {\n\tchain c {\n", "line 1: \"table ip x {\": the listing ends inside it"},
	} {
		_, err := Parse(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.want)
		}
	}
}

// TestParseOddities: what a hand or another nft may write reads as a difference, never as ours.
func TestParseOddities(t *testing.T) {
	const in = `table inet nftpolicy {
	flags dormant
	set a {
		type ipv4_addr
		elements = { 10.0.0.0/8, 10.1.2.3 . 4, 1.2.3.4-1.2.3.4, ::1 }
	}
	set b {
		type ether_addr
	}
	set c {
		elements = { 1.2.3.4 }
	}
	set d {
		type ipv4_addr . inet_proto . inet_service
		flags interval
		elements = { 10.0.0.1 . tcp . 90-80, 10.0.0.1 . icmp . 1, 10.0.0.1 . 6 . 65535, 10.0.0.1 . 6 . 65536,
			     10.0.0.0/8 . 17 . 1-65535 }
	}
	map m {
		type ipv4_addr : verdict
		elements = { 1.1.1.1 : jump, 1.1.1.2 : continue, 1.1.1.3 : goto x, 1.1.1.4 }
	}
	chain x {
		jump "a b"
		ip saddr @ accept
		ip saddr vmap @
		ip foo @s accept
		drop comment "unterminated
		drop comment "a" b"
		goto y
	}
	chain y {
		type filter hook forward priority filter; policy accept;
		type filter hook input priority filter; policy accept;
		policy drop;
	}
}
`
	res, err := Parse(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var notes []string
	for _, n := range res.Notes {
		notes = append(notes, n.String())
	}
	want := []string{
		"line 2: table: flags dormant",
		"line 5: set a: element 10.0.0.0/8", // a prefix in a set without flags interval
		"line 5: set a: element 10.1.2.3 . 4",
		"line 5: set a: element 1.2.3.4-1.2.3.4",
		"line 5: set a: element ::1",
		"line 8: set b: type ether_addr",
		"line 10: set c: no type",
		"line 16: set d: element 10.0.0.1 . tcp . 90-80",
		"line 16: set d: element 10.0.0.1 . icmp . 1",
		"line 16: set d: element 10.0.0.1 . 6 . 65536",
		"line 21: map m: element 1.1.1.1 : jump",
		"line 21: map m: element 1.1.1.2 : continue",
		"line 21: map m: element 1.1.1.4",
		"line 35: chain y: policy drop;",
	}
	if !slices.Equal(notes, want) {
		t.Errorf("notes:\n%s\nwant:\n%s", strings.Join(notes, "\n"), strings.Join(want, "\n"))
	}
	sets := map[string]*nft.Set{}
	for _, s := range res.Table.Sets {
		sets[s.Name] = s
	}
	if len(sets["a"].Elements) != 0 || sets["b"].Key != nil || sets["c"].Key != nil || len(sets["d"].Elements) != 2 ||
		len(sets["m"].Elements) != 1 {
		t.Errorf("sets: %+v %+v %+v %+v %+v", sets["a"], sets["b"], sets["c"], sets["d"], sets["m"])
	}
	x := res.Table.Chains[0]
	for i, r := range x.Rules[:len(x.Rules)-1] {
		if r.Match != nft.Unknown {
			t.Errorf("chain x rule %d: %+v, want Unknown", i, r)
		}
	}
	if r := x.Rules[len(x.Rules)-1]; r.Match != nft.Always || r.Verdict != (nft.Verdict{Kind: nft.Goto, Chain: "y"}) {
		t.Errorf("goto y: %+v", r)
	}
	y := res.Table.Chains[1]
	if y.Hook == nil || *y.Hook != (nft.Hook{Name: "forward"}) || len(y.Rules) != 1 || y.Rules[0].Match != nft.Unknown {
		t.Errorf("chain y: %+v %+v", y.Hook, y.Rules)
	}
}

// FuzzParse: no input makes Parse panic; whatever it returns can be diffed and rendered. The seeds are every
// listing of testdata/ and each of them with one line removed.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.nft")
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
		lines := strings.SplitAfter(string(b), "\n")
		for i := range lines {
			f.Add(strings.Join(slices.Delete(slices.Clone(lines), i, i+1), ""))
		}
	}
	f.Fuzz(func(t *testing.T, in string) {
		res, err := Parse(strings.NewReader(in))
		if err != nil {
			return
		}
		if res.Table != nil {
			nft.Diff(res.Table, &nft.Table{})
			_ = res.Table.Text()
		}
	})
}

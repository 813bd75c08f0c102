package plugin

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	diffCluster = "testdata/diff/cluster.yaml"
	diffClean   = "testdata/diff/node-a.nft"
	diffDrift   = "testdata/diff/node-a-drift.nft"
)

// runDiff runs `diff -f testdata/diff/cluster.yaml --node node-a` with more args and stdin.
func runDiff(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	args = append([]string{"diff", "-f", diffCluster, "--node", "node-a"}, args...)
	code = Main(args, Streams{In: strings.NewReader(stdin), Out: &out, Err: &errOut})
	return code, out.String(), errOut.String()
}

// writeTemp writes text to a file of the test's temporary directory.
func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDiffNoDrift(t *testing.T) {
	code, out, errOut := runDiff(t, "", "--ruleset", diffClean)
	want := "no drift: testdata/diff/node-a.nft holds the table inet nftpolicy node node-a should have (9 sets and maps, 3 chains)\n"
	if code != 0 || out != want || errOut != "" {
		t.Errorf("exit %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	// The same from stdin, as `ssh node nft list table ... | kubectl nftpolicy diff --ruleset -` gives it.
	code, out, _ = runDiff(t, readText(t, diffClean), "--ruleset", "-")
	if code != 0 || !strings.HasPrefix(out, "no drift: <stdin> holds") {
		t.Errorf("stdin: exit %d, %q", code, out)
	}
}

// TestDiffGolden: the report of node-a-drift.nft (an element and a chain missing, a rule and a counter added).
func TestDiffGolden(t *testing.T) {
	code, out, errOut := runDiff(t, "", "--ruleset", diffDrift)
	if code != 1 || errOut != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and nothing", code, errOut)
	}
	checkGolden(t, "diff-drift", out)
}

// TestDiffTampered: node-a.nft changed by hand, one change at a time; each is reported as exactly that change.
func TestDiffTampered(t *testing.T) {
	clean := readText(t, diffClean)
	for _, tc := range []struct {
		name     string
		old, new string // replaced in node-a.nft
		want     string // the report after its two header lines
	}{
		{"element removed",
			"\t\t\t     10.244.1.10 . tcp . 8080,\n\t\t\t     10.244.0.11 . tcp . 8080 }\n",
			"\t\t\t     10.244.1.10 . tcp . 8080 }\n",
			"\nset ing-8520f6a5d5f23317-v4-ap: 1 element missing on the node\n  + 10.244.0.11 . tcp . 8080\n"},
		{"rule added",
			"\t\tip saddr . ip daddr @self-v4 accept\n",
			"\t\tip saddr 192.0.2.1 accept\n\t\tip saddr . ip daddr @self-v4 accept\n",
			"\nchain forward: rules differ\n    ... 4 rules\n    ip6 saddr fe80::/10 drop\n    ip6 daddr fe80::/10 drop\n" +
				"  - ip saddr 192.0.2.1 accept   (not a rule nftpolicy writes)\n    ip saddr . ip daddr @self-v4 accept\n" +
				"    ip6 saddr . ip6 daddr @self-v6 accept\n    ... 4 rules\n"},
		{"chain missing",
			"\tchain ing-8520f6a5d5f23317 {\n" +
				"\t\tip saddr . meta l4proto . th dport @ing-8520f6a5d5f23317-v4-ap counter packets 0 bytes 0 accept\n" +
				"\t\tlimit rate 10/second log prefix \"ing-8520f6a5d5f23317\" group 100\n" +
				"\t\tcounter packets 0 bytes 0 drop comment \"ingress shop/web\"\n\t}\n",
			"",
			"\nchain ing-8520f6a5d5f23317: missing on the node\n" +
				"  + ip saddr . meta l4proto . th dport @ing-8520f6a5d5f23317-v4-ap counter accept\n" +
				"  + limit rate 10/second burst 5 packets log prefix \"ing-8520f6a5d5f23317\" group 100\n" +
				"  + counter drop comment \"ingress shop/web\"\n"},
		{"rule changed",
			"drop comment \"ingress shop/web\"",
			"accept comment \"ingress shop/web\"",
			"\nchain ing-8520f6a5d5f23317: rules differ\n" +
				"    ip saddr . meta l4proto . th dport @ing-8520f6a5d5f23317-v4-ap counter accept\n" +
				"    limit rate 10/second burst 5 packets log prefix \"ing-8520f6a5d5f23317\" group 100\n" +
				"  - counter accept comment \"ingress shop/web\"\n  + counter drop comment \"ingress shop/web\"\n"},
		{"set redefined",
			"\t\ttype ipv4_addr\n\t\tflags interval\n",
			"\t\ttype ipv4_addr\n",
			"\nset egr-42e57272aa121245-v4-n: definition differs: on the node type ipv4_addr, desired type ipv4_addr, flags interval\n" +
				// Ranges and prefixes only exist in interval sets.
				"  - element 10.96.0.0/14   (line 9: nftpolicy never writes this)\n" +
				"  - element 10.101.0.0-10.111.255.255   (line 9: nftpolicy never writes this)\n"},
		{"set only on the node",
			"\tset self-v6 {\n",
			"\tset extra {\n\t\ttype inet_service\n\t\telements = { 22 }\n\t}\n\n\tset self-v6 {\n",
			"\nset extra: only on the node (type inet_service)\n  - 22\n"},
		{"hook changed",
			"\t\ttype filter hook forward priority filter; policy accept;\n",
			"\t\ttype filter hook forward priority filter - 1; policy accept;\n",
			"\nchain forward: hook differs: on the node \"type filter hook forward priority filter - 1; policy accept;\", " +
				"desired \"type filter hook forward priority filter; policy accept;\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(clean, tc.old) {
				t.Fatalf("node-a.nft has no %q", tc.old)
			}
			file := writeTemp(t, "node.nft", strings.Replace(clean, tc.old, tc.new, 1))
			code, out, errOut := runDiff(t, "", "--ruleset", file)
			_, report, _ := strings.Cut(out, "(-: only on the node, +: only desired)\n")
			if code != 1 || errOut != "" || !strings.HasPrefix(out, "drift: 1 object of table inet nftpolicy in "+file+" differs from what node node-a should have\n") || report != tc.want {
				t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant the report:\n%s", code, errOut, out, tc.want)
			}
		})
	}
}

// TestDiffForeign: what nftpolicy never writes is drift, reported with its line, and never a failure.
func TestDiffForeign(t *testing.T) {
	clean := readText(t, diffClean)
	const at = "\tset self-v6 {\n"
	for _, tc := range []struct{ name, insert, want string }{
		{"counter", "\tcounter c {\n\t\tpackets 1 bytes 2\n\t}\n", "table inet nftpolicy: holds what nftpolicy never writes\n  - counter c   (line 26: nftpolicy never writes this)\n"},
		{"flowtable", "\tflowtable f {\n\t\thook ingress priority filter\n\t\tdevices = { lo }\n\t}\n", "  - flowtable f   (line 26:"},
		{"table flags", "\tflags dormant\n", "  - flags dormant   (line 26:"},
		{"set timeout", "\tset t {\n\t\ttype ipv4_addr\n\t\ttimeout 1h\n\t\telements = { 1.2.3.4 expires 59m }\n\t}\n",
			"set t: only on the node (not as nftpolicy writes sets)\n  - timeout 1h   (line 28: nftpolicy never writes this)\n"},
		{"base chain", "\tchain mine {\n\t\tcomment \"x\"\n\t\ttype filter hook input priority filter - 5; policy drop;\n\t\tmeta l4proto { tcp, udp } th dport 53 counter packets 0 bytes 0 accept\n\t}\n",
			"chain mine: only on the node\n  - type filter hook input priority filter - 5; policy drop;\n" +
				"  - meta l4proto { tcp, udp } th dport 53 counter packets 0 bytes 0 accept   (not a rule nftpolicy writes)\n" +
				"  - comment \"x\"   (line 27: nftpolicy never writes this)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeTemp(t, "node.nft", strings.Replace(clean, at, tc.insert+"\n"+at, 1))
			code, out, errOut := runDiff(t, "", "--ruleset", file)
			if code != 1 || errOut != "" || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant it to contain:\n%s", code, errOut, out, tc.want)
			}
		})
	}
	// An element with a comment is not one of ours: it is reported and the element nftpolicy wants is missing.
	file := writeTemp(t, "node.nft", strings.Replace(clean, "{ 10.244.0.10 : jump ing-8520f6a5d5f23317 }",
		`{ 10.244.0.10 comment "hand" : jump ing-8520f6a5d5f23317 }`, 1))
	code, out, _ := runDiff(t, "", "--ruleset", file)
	want := "map ingress-v4: 1 element missing on the node\n  + 10.244.0.10 : jump ing-8520f6a5d5f23317\n" +
		"  - element 10.244.0.10 comment \"hand\" : jump ing-8520f6a5d5f23317   (line 41: nftpolicy never writes this)\n"
	if code != 1 || !strings.Contains(out, want) {
		t.Errorf("element comment: exit %d, stdout:\n%s\nwant:\n%s", code, out, want)
	}
}

// TestDiffAnyDamage: node-a.nft with any one line removed is compared or refused, never a crash: exit 0, 1 or 2.
func TestDiffAnyDamage(t *testing.T) {
	lines := strings.SplitAfter(readText(t, diffClean), "\n")
	for i := range lines {
		text := strings.Join(append(append([]string{}, lines[:i]...), lines[i+1:]...), "")
		code, out, errOut := runDiff(t, text, "--ruleset", "-")
		if code > 2 || (code == 2) != (errOut != "") || (code == 2) != (out == "") {
			t.Errorf("line %d removed: exit %d, stdout %q, stderr %q", i+1, code, out, errOut)
		}
	}
}

func TestDiffMissingTable(t *testing.T) {
	code, out, _ := runDiff(t, "", "--ruleset", "-")
	if code != 1 || !strings.HasPrefix(out, "drift: <stdin> holds no table inet nftpolicy: it is missing on node node-a\n") {
		t.Errorf("exit %d, %q", code, out)
	}
}

// TestDiffBadInput: a comparison that cannot be made exits 2 (1 means drift), one line on stderr, nothing on stdout.
func TestDiffBadInput(t *testing.T) {
	yaml := writeTemp(t, "c.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "-f", diffCluster, "--ruleset", diffClean}, "--node and --ruleset are required"},
		{[]string{"diff", "-f", diffCluster, "--node", "node-a"}, "--node and --ruleset are required"},
		{[]string{"diff", "-f", diffCluster, "--node", "Node_A", "--ruleset", diffClean}, `invalid node name "Node_A"`},
		{[]string{"diff", "-f", diffCluster, "--node", "node-a", "--ruleset", "nope.nft"}, "--ruleset: open nope.nft"},
		{[]string{"diff", "-f", diffCluster, "--node", "node-a", "--ruleset", diffCluster}, "--ruleset testdata/diff/cluster.yaml: line 4:"},
		{[]string{"diff", "-f", "-", "--node", "node-a", "--ruleset", "-"}, "both read stdin"},
		{[]string{"diff", "-f", "nope.yaml", "--node", "node-a", "--ruleset", diffClean}, "nope.yaml"},
		{[]string{"diff", "-f", yaml, "--node", "node-a", "--ruleset", diffClean}, ""}, // a cluster without pods: fine
		{[]string{"diff", "--offline", "--node", "node-a", "--ruleset", diffClean}, "--offline needs -f"},
		{[]string{"diff", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"diff", "-f", diffCluster, "--node", "node-a", "--ruleset", diffClean, "stray"}, `unexpected argument "stray"`},
	} {
		var out, errOut bytes.Buffer
		code := Main(tc.args, Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		msg := strings.TrimSpace(errOut.String())
		if tc.want == "" {
			if code != 1 || !strings.HasPrefix(msg, "warning: no pod has spec.nodeName=node-a") {
				t.Errorf("%v: exit %d, stderr %q; want drift and a warning", tc.args, code, msg)
			}
			continue
		}
		if code != 2 || out.Len() != 0 || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "error: ") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, one line with %q", tc.args, code, out.String(), msg, tc.want)
		}
	}
}

// TestDiffOfRender: what render prints (nft -f syntax, which the listing parser reads too) is no drift, per node.
func TestDiffOfRender(t *testing.T) {
	for _, node := range []string{"node-a", "node-b"} {
		var out, errOut bytes.Buffer
		if code := Main([]string{"render", "-f", diffCluster, "--node", node}, Streams{Out: &out, Err: &errOut}); code != 0 {
			t.Fatalf("render: exit %d: %s", code, errOut.String())
		}
		var dout, derr bytes.Buffer
		code := Main([]string{"diff", "-f", diffCluster, "--node", node, "--ruleset", "-"},
			Streams{In: &out, Out: &dout, Err: &derr})
		if code != 0 || !strings.HasPrefix(dout.String(), "no drift: <stdin> holds the table inet nftpolicy node "+node) {
			t.Errorf("%s: exit %d, %q %q", node, code, dout.String(), derr.String())
		}
	}
}

package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/lab/view"
	"github.com/nftpolicy/nftpolicy/internal/labnet"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// These tests run whole labs: root, network namespaces and envtest's binaries (make envtest) are required, and
// their absence fails the test, never skips it.

func requireLab(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the lab needs root (CI runs as root)")
	}
}

// runOnce runs `nftpolicy lab --once -o json` with o and returns the probes by
// "scenario from>to proto/port IPvN",
// the summary line and Run's error.
func runOnce(t *testing.T, o Options) (map[string]jsonProbe, string, error) {
	t.Helper()
	requireLab(t)
	o.Once, o.Output = true, "json"
	o.StateRoot = t.TempDir()
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	start := time.Now()
	err := Run(ctx, &o, &out, &log)
	t.Logf("lab ran in %s; its log:\n%s", time.Since(start).Round(time.Millisecond), log.String())
	probes := map[string]jsonProbe{}
	var summary string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			if summary != "" {
				t.Fatalf("a second non-JSON line %q after %q", line, summary)
			}
			summary = line
			continue
		}
		if summary != "" {
			t.Fatalf("JSON after the summary line: %s", line)
		}
		var p jsonProbe
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("bad JSON line %q: %v", line, err)
		}
		fam := "IPv4"
		if strings.Contains(p.FromIP, ":") {
			fam = "IPv6"
		}
		k := p.Scenario + " " + p.From + ">" + p.To + " " + p.Protocol + "/" + itoa(p.Port) + " " + fam
		if _, dup := probes[k]; dup {
			t.Fatalf("probe %s printed twice", k)
		}
		probes[k] = p
	}
	// Nothing may be left behind.
	if left, _ := filepath.Glob(filepath.Join(o.StateRoot, "*")); len(left) > 0 {
		t.Errorf("the lab left %v behind", left)
	}
	// Only this lab's namespaces: other packages' tests make nftp-lab-* namespaces of their own meanwhile.
	m := regexp.MustCompile(`/run/netns/(nftp-lab-[0-9a-f]{6})-node`).FindStringSubmatch(log.String())
	if m == nil {
		t.Fatalf("the lab's log does not name its node namespace")
	}
	if left, _ := filepath.Glob("/run/netns/" + m[1] + "-*"); len(left) > 0 {
		t.Errorf("network namespaces left behind: %v", left)
	}
	return probes, summary, err
}

func itoa(n uint16) string { return strconv.Itoa(int(n)) }

// want is one expectation written from the NetworkPolicy spec, not from our evaluator.
type want struct {
	key   string // as runOnce indexes probes
	allow bool
}

func check(t *testing.T, probes map[string]jsonProbe, wants []want) {
	t.Helper()
	for _, w := range wants {
		p, ok := probes[w.key]
		if !ok {
			t.Errorf("no probe %s", w.key)
			continue
		}
		if p.Observed != verdict(w.allow) || p.Expected != verdict(w.allow) {
			t.Errorf("%s: observed %s, expected (evaluator) %s; the spec says %s", w.key, p.Observed, p.Expected, verdict(w.allow))
		}
	}
}

// TestOnceDemo runs the built-in demo and checks the verdicts its comments promise, per topology.
func TestOnceDemo(t *testing.T) {
	for _, topo := range []labnet.Topology{labnet.Bridge, labnet.Routed} {
		t.Run(string(topo), func(t *testing.T) {
			probes, summary, err := runOnce(t, Options{Topology: topo})
			if err != nil {
				t.Fatalf("lab: %v", err)
			}
			// 5 pods and 2 externals.
			const fe, web, db, debug, prom = "shop/frontend", "shop/web", "shop/db", "tools/debug", "monitoring/prometheus"
			k := func(from, to, port string) string { return "demo " + from + ">" + to + " TCP/" + port + " IPv4" }
			check(t, probes, []want{
				{k(fe, web, "8080"), true},     // web-from-frontend: named port http, team=shop and role=frontend
				{k(debug, web, "8080"), false}, // role=frontend, but namespace tools is not team=shop
				{k(fe, web, "9090"), false},    // 9090 only from monitoring
				{k(prom, web, "9090"), true},   // web-from-monitoring: namespace selector
				{k(prom, web, "8080"), false},
				{k(web, db, "5432"), true}, // db-from-web
				{k(fe, db, "5432"), false},
				{k(db, web, "8080"), false},
				{k("192.0.2.10", fe, "80"), true},   // ipBlock 192.0.2.0/24
				{k("192.0.2.200", fe, "80"), false}, // ... except 192.0.2.128/25
				{k("192.0.2.10", web, "8080"), false},
				{k(web, fe, "80"), false},    // default-deny: no policy admits pods to frontend
				{k(fe, debug, "8000"), true}, // tools is not isolated
				{k("192.0.2.200", debug, "8000"), true},
				{k(db, "192.0.2.200", "5432"), true}, // no egress policy anywhere
				{k(web, prom, "9090"), true},
			})
			if !strings.HasSuffix(summary, " 0 failed") {
				t.Errorf("summary %q, want no failures", summary)
			}
		})
	}
}

// TestOnceReportsMismatch deletes the agent's table after it synced: every probe the policies deny now passes,
// and the lab must say so.
func TestOnceReportsMismatch(t *testing.T) {
	hook := func(netns string) error {
		conn, err := kernel.Open(netns)
		if err != nil {
			return err
		}
		defer conn.Close()
		return conn.Delete()
	}
	probes, summary, err := runOnce(t, Options{Hooks: Hooks{AfterSync: hook}})
	if !errors.Is(err, ErrMismatch) {
		t.Fatalf("lab returned %v, want ErrMismatch", err)
	}
	mismatched := 0
	for k, p := range probes {
		if p.Observed != p.Expected {
			mismatched++
			if p.Observed != "allow" {
				t.Errorf("%s: observed %s with no table at all", k, p.Observed)
			}
		}
	}
	if mismatched == 0 || summary != itoa(uint16(len(probes)-mismatched))+" passed, "+itoa(uint16(mismatched))+" failed" {
		t.Errorf("summary %q with %d of %d probes mismatched", summary, mismatched, len(probes))
	}
}

// TestOnceGenerated runs testdata/generated.yaml with three external hosts and checks every probe against a truth
// function written by hand from the spec (see the policies' comments there), on both topologies. Namespace delta
// is in audit mode: its probes pass, and those its policies do not allow are audited, in the JSON and the matrix.
func TestOnceGenerated(t *testing.T) {
	exts := []netip.Addr{netip.MustParseAddr("203.0.113.10"), netip.MustParseAddr("203.0.113.200"),
		netip.MustParseAddr("10.10.1.200")}
	for _, topo := range []labnet.Topology{labnet.Bridge, labnet.Routed} {
		t.Run(string(topo), func(t *testing.T) {
			probes, summary, err := runOnce(t, Options{Topology: topo, Files: []string{"testdata/generated.yaml"}, Externals: exts})
			if err != nil {
				t.Fatalf("lab: %v", err)
			}
			// 10 pods × 9 others, 3 externals each way; ports: the destination's.
			if len(probes) < 100 {
				t.Fatalf("only %d probes", len(probes))
			}
			var rs []view.Result
			audited := 0
			for k, p := range probes {
				allow, wantAudited := generatedTruth(p.From, p.To, p.Port, p.Protocol)
				want := verdict(allow)
				if p.Observed != want || p.Expected != want {
					t.Errorf("%s: observed %s, expected (evaluator) %s; the spec says %s", k, p.Observed, p.Expected, want)
				}
				if p.Audited != wantAudited {
					t.Errorf("%s: audited %v, the spec says %v", k, p.Audited, wantAudited)
				}
				if wantAudited {
					audited++
				}
				rs = append(rs, view.Result{From: p.From, To: p.To, Port: p.Port, Protocol: p.Protocol,
					Observed: p.Observed == "allow", Expected: p.Expected == "allow", Audited: p.Audited})
			}
			if !strings.HasSuffix(summary, " 0 failed") {
				t.Errorf("summary %q", summary)
			}
			// The matrix marks the pairs audit mode lets through, and the summary counts their probes.
			var b strings.Builder
			if err := view.Matrix(&b, rs, view.Options{}); err != nil {
				t.Fatal(err)
			}
			b.WriteString(view.Summary(rs, 0, view.Options{}))
			for _, w := range []string{"a some or all pass only because of audit mode",
				strconv.Itoa(audited) + " would be denied without audit mode"} {
				if !strings.Contains(b.String(), w) {
					t.Errorf("the matrix does not say %q:\n%s", w, b.String())
				}
			}
		})
	}
}

// generatedTruth is what NetworkPolicy says about testdata/generated.yaml: whether the probe passes, and whether
// it passes only because namespace delta is in audit mode.
func generatedTruth(from, to string, port uint16, proto string) (allow, audited bool) {
	ns := func(s string) string { n, _, _ := strings.Cut(s, "/"); return n }
	tcp := proto == "TCP"
	// delta's side lets everything through; enforced, it would take only http (80) from env=prod (alpha), and
	// send only to beta/db on 5432. The other side may still deny.
	allow = othersAllow(from, to, port, proto)
	deltaAllows := true
	switch {
	case ns(to) == "delta":
		deltaAllows = ns(from) == "alpha" && tcp && port == 80
	case ns(from) == "delta":
		deltaAllows = to == "beta/db" && tcp && port == 5432
	}
	return allow, allow && !deltaAllows
}

// othersAllow is what the policies of every namespace but delta say about testdata/generated.yaml.
func othersAllow(from, to string, port uint16, proto string) bool {
	ns := func(s string) string { n, _, _ := strings.Cut(s, "/"); return n }
	external := !strings.Contains(from, "/")
	tcp := proto == "TCP"
	// beta/client may send only to 203.0.113.0/24 except .128/25 (any port), and to app=web pods on their own
	// "http" port: alpha/web 80, beta/web 80, gamma/web 8081.
	if from == "beta/client" {
		switch {
		case to == "203.0.113.10":
		case (to == "alpha/web" || to == "beta/web") && tcp && port == 80:
		case to == "gamma/web" && tcp && port == 8081:
		default:
			return false
		}
	}
	switch ns(to) {
	case "alpha": // isolated; http from namespaces env in (prod, dev); db's 5432 from alpha/api
		if ns(from) != "alpha" && ns(from) != "beta" {
			return false
		}
		switch to {
		case "alpha/web":
			return tcp && port == 80
		case "alpha/api":
			return tcp && port == 8080
		case "alpha/db":
			return from == "alpha/api" && tcp && port == 5432
		}
	case "gamma": // isolated; from anywhere but 10.10.0.0/16 (every pod, and the external 10.10.1.200)
		return external && !strings.HasPrefix(from, "10.10.")
	}
	return true // beta's pods and the external hosts are not isolated, delta's only in audit mode
}

// TestOnceScenariosAndPorts: two scenarios in one lab, the second without the first's policy; pods without
// container ports probed on --ports × --protocols; dual-stack addresses from two pod CIDRs.
func TestOnceScenariosAndPorts(t *testing.T) {
	dir := t.TempDir()
	pods := "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: x, labels: {pod: a}}\nspec: {containers: [{name: c, image: i}]}\n---\n" +
		"apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: x, labels: {pod: b}}\nspec: {containers: [{name: c, image: i}]}\n"
	policy := "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: only-a-81-udp, namespace: x}\n" +
		"spec: {podSelector: {matchLabels: {pod: b}}, ingress: [{from: [{podSelector: {matchLabels: {pod: a}}}], ports: [{port: 81, protocol: UDP}]}]}\n"
	first, second := filepath.Join(dir, "first.yaml"), filepath.Join(dir, "second.yaml")
	if err := os.WriteFile(first, []byte(pods+policy), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(second, []byte(pods), 0o644); err != nil {
		t.Fatal(err)
	}
	var o Options
	fs := flag.NewFlagSet("lab", flag.ContinueOnError)
	o.Bind(fs)
	if err := fs.Parse([]string{"-f", first, "-f", second, "--ports", "80,81", "--protocols", "TCP,UDP",
		"--pod-cidr", "10.244.0.0/16", "--pod-cidr", "fd00:10:244::/56"}); err != nil {
		t.Fatal(err)
	}
	probes, summary, err := runOnce(t, o)
	if err != nil {
		t.Fatalf("lab: %v", err)
	}
	// 2 scenarios × 2 ordered pairs × 2 ports × 2 protocols × 2 families.
	if len(probes) != 32 || summary != "32 passed, 0 failed" {
		t.Fatalf("%d probes, summary %q; want 32, all passed", len(probes), summary)
	}
	for k, p := range probes {
		want := p.Scenario == second || p.From == "x/b" || (p.Port == 81 && p.Protocol == "UDP")
		if p.Scenario == first && p.From == "x/b" {
			want = true // only x/b is isolated, for ingress
		}
		if p.Scenario == first && p.To == "x/b" {
			want = p.Port == 81 && p.Protocol == "UDP"
		}
		if p.Observed != verdict(want) {
			t.Errorf("%s: observed %s, want %s", k, p.Observed, verdict(want))
		}
	}
}

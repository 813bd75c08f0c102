package lab

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	nftlab "github.com/nftpolicy/nftpolicy/internal/lab"
	"github.com/nftpolicy/nftpolicy/test/e2e"
)

// TestLabRunsUpstreamSuite runs every step of the upstream cases as a scenario of one `nftpolicy lab --once -o
// json` (one API server, the real agent, pods as network namespaces of the lab's node, IPv4) and checks each
// observed verdict against the case's truth table — the lab's own expected verdicts are checked by the lab
// itself (its summary must say 0 failed). The pods keep the model's addresses (status.podIPs in the
// manifests), so ipBlock policies written for them apply unchanged.
func TestLabRunsUpstreamSuite(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the lab needs root (CI runs as root)")
	}
	dir := t.TempDir()
	type stepFile struct {
		tc   e2e.Case
		step e2e.Step
		name string
	}
	var files []stepFile
	e := e2e.NewModelEnv(4)
	for ci, tc := range e2e.UpstreamCases() {
		for si, st := range tc.Steps {
			path := filepath.Join(dir, fmt.Sprintf("c%02d-s%d.yaml", ci, si))
			if err := os.WriteFile(path, labManifest(t, tc, st, e), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, stepFile{tc, st, path})
		}
	}
	o := &nftlab.Options{Once: true, Output: "json", StateRoot: t.TempDir()}
	for _, f := range files {
		o.Files = append(o.Files, f.name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var out, log bytes.Buffer
	start := time.Now()
	err := nftlab.Run(ctx, o, &out, &log)
	t.Logf("lab: %d scenarios in %s", len(files), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("lab: %v\n%s", err, log.String())
	}
	observed := map[string]string{} // "scenario from>to proto/port" -> allow|deny
	var summary string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var p struct {
			Scenario, From, To, Protocol, Observed, Expected string
			Port                                             int
		}
		if !strings.HasPrefix(sc.Text(), "{") {
			summary = sc.Text()
			continue
		}
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		observed[fmt.Sprintf("%s %s>%s %s/%d", p.Scenario, p.From, p.To, p.Protocol, p.Port)] = p.Observed
	}
	if !strings.HasSuffix(summary, " 0 failed") {
		t.Errorf("summary %q: the lab's evaluator and the kernel disagree", summary)
	}
	checked := 0
	for _, f := range files {
		for _, pe := range f.step.Probes {
			var bad []string
			for _, from := range e2e.AllPods() {
				for _, to := range e2e.AllPods() {
					if from == to {
						continue
					}
					k := fmt.Sprintf("%s %s>%s %s/%d", filepath.Clean(f.name), from, to, pe.Protocol, pe.Port)
					got, ok := observed[k]
					checked++
					want := "deny"
					if pe.Expect.Allowed(from, to) {
						want = "allow"
					}
					if !ok || got != want {
						bad = append(bad, fmt.Sprintf("  %s -> %s: observed %q, truth table %s", from, to, got, want))
					}
				}
			}
			if len(bad) > 0 {
				t.Errorf("%s step %q (%s): %s/%d:\n%s", f.tc.Name, f.step.Name, f.name, pe.Protocol, pe.Port, strings.Join(bad, "\n"))
			}
		}
	}
	t.Logf("%d probes checked against the truth tables; %s", checked, summary)
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

// labManifest writes the step's objects as a manifest the lab reads: the namespaces, the nine pods with their
// IPv4 model address, and the step's policies.
func labManifest(t *testing.T, tc e2e.Case, st e2e.Step, e e2e.Env) []byte {
	t.Helper()
	c := e2e.ModelCluster(tc, st, e)
	var docs []string
	add := func(o any) {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, string(b))
	}
	for _, ns := range c.Namespaces {
		add(ns)
	}
	for _, p := range c.Pods {
		if p.Status.Phase != corev1.PodRunning {
			continue // the model's Pending pod has no address and no place in a truth table
		}
		p = p.DeepCopy()
		p.Status.PodIPs = p.Status.PodIPs[:1]
		p.Status.PodIP = p.Status.PodIPs[0].IP
		add(p)
	}
	for _, p := range c.Policies {
		add(p)
	}
	return []byte(strings.Join(docs, "---\n"))
}

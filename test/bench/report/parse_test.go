package main

import (
	"strings"
	"testing"
)

func TestParseSample(t *testing.T) {
	raw, _ := loadSample(t)
	for k, want := range map[string]string{
		"goos": "linux", "goarch": "amd64", "pkg": "github.com/nftpolicy/nftpolicy/test/bench", "cpu": "AMD EPYC 7B13",
		"date": "2025-06-02T09:14:07Z", "nproc": "8", "kernel": "6.12.30-amd64", "go": "go1.26.8",
		"command": "go test -run '^$' -bench . -benchtime 1x -count 2 -timeout 40m -v ./test/bench/",
	} {
		if got := raw.Config[k]; got != want {
			t.Errorf("config %s = %q, want %q", k, got, want)
		}
	}
	// 2 topologies × 8 datapath benchmarks, 2 BuildCompile, FirstBatch, Change/relabel, 2 AgentRelabel; -count 2.
	if got, want := len(raw.Results), 2*(16+2+1+1+2); got != want {
		t.Errorf("%d results, want %d", got, want)
	}
	var names []string
	for _, r := range raw.Results {
		if strings.HasSuffix(r.Name, "-8") {
			t.Errorf("%s: GOMAXPROCS suffix not stripped", r.Name)
		}
		names = append(names, r.Name)
	}
	for _, want := range []string{"BenchmarkDatapath/routed/nftpolicy-10000", "BenchmarkDatapath/bridge/conntrack",
		"BenchmarkBuildCompile/policies=10000/pods=50000", "BenchmarkFirstBatch", "BenchmarkChange/relabel",
		"BenchmarkAgentRelabel/1000policies-50000pods"} {
		if !strings.Contains(strings.Join(names, "\n")+"\n", want+"\n") {
			t.Errorf("no result for %s", want)
		}
	}
	r := raw.Results[1] // BenchmarkDatapath/routed/conntrack, after no-filter
	want := []Metric{{"ns/op", 1.6e11}, {"new-conn-x", 1.012}, {"new-conn-x-max", 1.041}, {"new-conn-x-min", 0.987}}
	if r.Name != "BenchmarkDatapath/routed/conntrack" || r.Iterations != 1 || r.Line != 21 || len(r.Metrics) != 14 {
		t.Fatalf("second result: %+v", r)
	}
	for i, m := range want {
		if r.Metrics[i] != m {
			t.Errorf("metric %d = %+v, want %+v", i, r.Metrics[i], m)
		}
	}
	if last := r.Metrics[13]; last != (Metric{"rules", 1}) {
		t.Errorf("last metric %+v, want 1 rules", last)
	}
	if len(raw.Skipped) != 1 || raw.Skipped[0] != (Skip{"BenchmarkAgentChurn", "needs root (a network namespace of its own)"}) {
		t.Errorf("skipped = %+v", raw.Skipped)
	}
}

func TestParseSkipWithoutV(t *testing.T) {
	in := "--- SKIP: BenchmarkX\n    x_test.go:3: needs root\nBenchmarkY-4   1   5.0 ns/op\n"
	raw, err := Parse(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Skipped) != 1 || raw.Skipped[0].Reason != "needs root" {
		t.Errorf("skipped = %+v", raw.Skipped)
	}
}

func TestParseProcsSuffix(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"GOMAXPROCS 4", "BenchmarkD/t/nftpolicy-10000-4 1 5 ns/op\nBenchmarkF-4 1 5 ns/op\n", []string{"BenchmarkD/t/nftpolicy-10000", "BenchmarkF"}},
		// GOMAXPROCS 1: no suffix, and the trailing numbers differ, so nothing is stripped.
		{"GOMAXPROCS 1", "BenchmarkD/t/nftpolicy-10000 1 5 ns/op\nBenchmarkD/t/nftpolicy-100 1 5 ns/op\nBenchmarkF 1 5 ns/op\n", []string{"BenchmarkD/t/nftpolicy-10000", "BenchmarkD/t/nftpolicy-100", "BenchmarkF"}},
		{"-cpu 1,2", "BenchmarkF 1 5 ns/op\nBenchmarkF-2 1 5 ns/op\n", []string{"BenchmarkF", "BenchmarkF-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := Parse(strings.NewReader(tc.in), "in")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range raw.Results {
				got = append(got, r.Name)
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Errorf("names %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "goos: linux\nPASS\n", "in: no benchmark result lines"},
		{"odd pairs", "BenchmarkX-2 1 5 ns/op 3\n", "in:1: result line of BenchmarkX-2: expected `value unit` pairs"},
		{"not a number", "BenchmarkX-2 1 5 ns/op abc msgs\n", `in:1: result line of BenchmarkX-2: "abc" is not a number`},
		{"failed", "BenchmarkX-2 1 5 ns/op\n--- FAIL: BenchmarkY\n", "in:2: a failed run (--- FAIL: BenchmarkY)"},
		{"FAIL line", "BenchmarkX-2 1 5 ns/op\nFAIL\tgithub.com/x\t1.0s\n", "in:2: a failed run"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in), "in")
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %v, want one starting %q", err, tc.want)
			}
		})
	}
}

func TestParseIgnoresNoise(t *testing.T) {
	in := strings.Join([]string{
		"BenchmarkX", // -v names a benchmark as it starts
		"BenchmarkX/sub",
		"    x_test.go:9: cpu: not a config line, a log",
		"--- BENCH: BenchmarkX/sub-2",
		"BenchmarkX/sub-2   \t       1\t  12.5 ns/op\t  3.000 msgs",
		"some other output: 42",
		"PASS",
		"ok  \tpkg\t1.2s",
	}, "\n")
	raw, err := Parse(strings.NewReader(in), "in")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw.Results) != 1 || raw.Results[0].Name != "BenchmarkX/sub" || raw.Results[0].Line != 5 {
		t.Errorf("results %+v", raw.Results)
	}
	if _, ok := raw.Config["cpu"]; ok {
		t.Errorf("a log line was read as cpu:")
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func sampleAbs(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("testdata", "raw.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInput(t *testing.T) {
	dir := t.TempDir()
	out, svg := filepath.Join(dir, "bench"), filepath.Join(dir, "docs", "performance.svg")
	code, stdout, stderr := runCmd(t, "-input", sampleAbs(t), "-out", out, "-svg", svg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, _ := os.ReadFile(filepath.Join("testdata", "table.txt.golden"))
	if stdout != string(want) {
		t.Errorf("stdout is not testdata/table.txt.golden:\n%s", stdout)
	}
	for _, f := range []string{filepath.Join(out, "results.md"), filepath.Join(out, "results.json"), svg} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "raw.txt")); err == nil {
		t.Error("-input wrote raw.txt; the input is the raw output")
	}
	gotSVG, _ := os.ReadFile(svg)
	wantSVG, _ := os.ReadFile(filepath.Join("testdata", "performance.svg.golden"))
	if !bytes.Equal(gotSVG, wantSVG) {
		t.Error("the SVG written is not testdata/performance.svg.golden")
	}

	// Strict: the sample misses one target and does not measure another.
	if code, _, _ := runCmd(t, "-input", sampleAbs(t), "-out", out, "-svg", svg, "-strict"); code != 1 {
		t.Errorf("-strict exit %d, want 1", code)
	}
}

func TestCheckAgainstItself(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "bench")
	if code, _, stderr := runCmd(t, "-input", sampleAbs(t), "-out", out, "-svg", filepath.Join(dir, "p.svg")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	js := filepath.Join(out, "results.json")
	before, _ := os.ReadFile(js)
	code, stdout, stderr := runCmd(t, "-input", sampleAbs(t), "-check", js)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "reproduced: 125 of 125 figures compared; 0 new, 0 earlier figures not in this run") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if !strings.Contains(stderr, "nothing written") {
		t.Errorf("stderr: %s", stderr)
	}
	if after, _ := os.ReadFile(js); !bytes.Equal(before, after) {
		t.Error("-check without -out rewrote the results it checked against")
	}
	if _, err := os.Stat("bench"); err == nil {
		t.Error("-check without -out wrote ./bench")
	}
}

func TestCheckNotReproduced(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "old.json")
	old := `{"figures":[{"benchmark":"BenchmarkFirstBatch","metric":"apply-ms","median":300,"min":290,"max":310,"repetitions":3,"rounds":false}]}`
	if err := os.WriteFile(js, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runCmd(t, "-input", sampleAbs(t), "-check", js)
	if code != 0 {
		t.Errorf("exit %d without -strict, want 0", code)
	}
	if !strings.Contains(stdout, "BenchmarkFirstBatch                              apply-ms          621 [598–675]") ||
		!strings.Contains(stdout, "reproduced: 0 of 1 figures compared; 124 new, 0 earlier figures not in this run") {
		t.Errorf("stdout:\n%s", stdout)
	}
}

func TestBadCommandLines(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.txt")
	os.WriteFile(garbage, []byte("hello\nBenchmarkX-2 1 5 ns/op seven msgs\n"), 0o644)
	empty := filepath.Join(dir, "empty.txt")
	os.WriteFile(empty, []byte("PASS\n"), 0o644)
	out := filepath.Join(dir, "bench")
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"-nope"}, 2, "flag provided but not defined: -nope"},
		{[]string{"-count", "0"}, 2, "report: -count 0: at least 1\n"},
		{[]string{"-bench", ""}, 2, "report: -bench: empty\n"},
		{[]string{"extra"}, 2, `report: unexpected argument "extra" (flags only)` + "\n"},
		{[]string{"-input", garbage, "-count", "3"}, 2, "report: -bench and -count choose what to run; -input reads an output instead\n"},
		{[]string{"-input", garbage, "-out", out}, 1, "report: " + garbage + `:2: result line of BenchmarkX-2: "seven" is not a number (before "msgs")` + "\n"},
		{[]string{"-input", empty, "-out", out}, 1, "report: " + empty + ": no benchmark result lines (BenchmarkName  N  V ns/op ...)\n"},
		{[]string{"-input", filepath.Join(dir, "missing.txt"), "-out", out}, 1, "no such file"},
		{[]string{"-input", sampleAbs(t), "-check", filepath.Join(dir, "missing.json"), "-out", out}, 1, "no such file"},
		{[]string{"-input", sampleAbs(t), "-check", empty, "-out", out}, 1, "report: " + empty + ": invalid character"},
	} {
		code, stdout, stderr := runCmd(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.stderr) || stdout != "" {
			t.Errorf("%q: exit %d, stderr %q, stdout %q; want exit %d and %q", tc.args, code, stderr, stdout, tc.code, tc.stderr)
		}
		if tc.code == 1 && strings.Count(stderr, "\n") != 1 {
			t.Errorf("%q: more than one line: %q", tc.args, stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed command wrote something")
	}
}

// fakeGo stands in for the go tool: `go env GOVERSION` and a `go test` that prints OUTPUT and exits with CODE.
func fakeGo(t *testing.T, output string, code int) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "output"), []byte(output), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n" +
		`if [ "$1" = env ]; then echo go1.99.9; exit 0; fi` + "\n" +
		`echo "$@" > "` + filepath.Join(dir, "args") + "\"\n" +
		`cat "` + filepath.Join(dir, "output") + "\"\n" +
		"exit " + string(rune('0'+code)) + "\n"
	g := filepath.Join(dir, "go")
	if err := os.WriteFile(g, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	old := goCommand
	goCommand = g
	t.Cleanup(func() { goCommand = old })
	// A module root of sorts: the driver wants ./test/bench/ there.
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "test", "bench"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
}

// goTestOutput is the sample without the driver's header, as go test prints it.
func goTestOutput(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(sampleAbs(t))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	return s[strings.Index(s, "goos:"):]
}

func TestRun(t *testing.T) {
	output := goTestOutput(t)
	fakeGo(t, output, 0)
	code, stdout, stderr := runCmd(t, "-bench", "Datapath|FirstBatch", "-count", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	args, _ := os.ReadFile(filepath.Join(filepath.Dir(goCommand), "args"))
	if got, want := string(args), "test -run ^$ -bench Datapath|FirstBatch -benchtime 1x -count 2 -timeout 80m -v ./test/bench/\n"; got != want {
		t.Errorf("go %q, want %q", got, want)
	}
	if !strings.Contains(stderr, "BenchmarkDatapath/routed/nftpolicy-10000-8") {
		t.Error("go test's output was not passed through to stderr")
	}
	if !strings.Contains(stdout, "targets met: 10 of 12") {
		t.Errorf("stdout:\n%s", stdout)
	}
	raw, err := os.ReadFile(filepath.Join("bench", "raw.txt"))
	if err != nil {
		t.Fatal(err)
	}
	hdr, rest, _ := strings.Cut(string(raw), "goos:")
	for _, s := range []string{"date: ", "command: go test -run '^$' -bench 'Datapath|FirstBatch' -benchtime 1x -count 2 -timeout 80m -v ./test/bench/\n",
		"nproc: ", "kernel: ", "go: go1.99.9\n"} {
		if !strings.Contains(hdr, s) {
			t.Errorf("raw.txt's header has no %q:\n%s", s, hdr)
		}
	}
	if "goos:"+rest != output {
		t.Error("raw.txt does not hold go test's output as it was printed")
	}
	md, _ := os.ReadFile(filepath.Join("bench", "results.md"))
	if !strings.Contains(string(md), "from [bench/raw.txt](raw.txt)") || !strings.Contains(string(md), "go1.99.9 linux/amd64") {
		t.Errorf("results.md:\n%s", md)
	}
	if _, err := os.Stat(filepath.Join("docs", "performance.svg")); err != nil {
		t.Error(err)
	}

	// Rendering raw.txt again gives the same results.md, on any machine.
	os.Rename(filepath.Join("bench", "results.md"), "first.md")
	if code, _, stderr := runCmd(t, "-input", "bench/raw.txt"); code != 0 {
		t.Fatalf("-input bench/raw.txt: exit %d: %s", code, stderr)
	}
	again, _ := os.ReadFile(filepath.Join("bench", "results.md"))
	if !bytes.Equal(md, again) {
		t.Errorf("-input bench/raw.txt renders another results.md:\n%s", again)
	}
}

func TestRunFailed(t *testing.T) {
	fakeGo(t, goTestOutput(t)+"--- FAIL: BenchmarkX\nFAIL\n", 1)
	code, stdout, stderr := runCmd(t)
	if code != 1 || stdout != "" {
		t.Errorf("exit %d, stdout %q", code, stdout)
	}
	last := stderr[strings.LastIndex(strings.TrimSuffix(stderr, "\n"), "\n")+1:]
	if !strings.HasPrefix(last, "report: go test -run '^$' -bench . -benchtime 1x -count 1 -timeout 40m -v ./test/bench/ failed (exit status 1); nothing written") {
		t.Errorf("last line of stderr: %q", last)
	}
	for _, p := range []string{"bench", "docs"} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("a failed run wrote %s", p)
		}
	}
}

func TestRunElsewhere(t *testing.T) {
	fakeGo(t, goTestOutput(t), 0)
	t.Chdir(t.TempDir())
	if code, _, stderr := runCmd(t); code != 1 || !strings.Contains(stderr, "no ./test/bench/ here: run from the module root") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

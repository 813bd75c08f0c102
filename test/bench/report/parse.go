package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Raw is what a `go test -bench` output holds for the report.
type Raw struct {
	// Config holds the configuration lines (`key: value`) the report reads: goos, goarch, pkg and cpu from go
	// test, date, command, nproc, kernel and go from the driver's header. The first of each wins.
	Config  map[string]string
	Results []Result // in the order of the output
	Skipped []Skip   // once each, whatever -count
}

// Result is one result line.
type Result struct {
	Name       string // without the GOMAXPROCS suffix
	Iterations int64
	Metrics    []Metric // in the order of the line; ns/op first
	Line       int
}

// Metric is one `value unit` pair of a result line.
type Metric struct {
	Unit  string
	Value float64
}

// Skip is a benchmark that skipped itself, with the first line it logged.
type Skip struct {
	Name, Reason string
}

// configKeys are the configuration lines kept; others (and log lines that look like them) are ignored.
var configKeys = map[string]bool{
	"goos": true, "goarch": true, "pkg": true, "cpu": true,
	"date": true, "command": true, "nproc": true, "kernel": true, "go": true,
}

var configLine = regexp.MustCompile(`^([a-z][a-z0-9_-]*): ?(.*)$`)

// procsSuffix is the -P go test appends to a benchmark name when GOMAXPROCS is not 1.
var procsSuffix = regexp.MustCompile(`-([0-9]+)$`)

// Parse reads a go test -bench output. It fails on a malformed result line, on a failed run and when there is no
// result at all.
func Parse(r io.Reader, source string) (*Raw, error) {
	raw := &Raw{Config: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	var names []string // as printed, suffix included
	// A skipped benchmark's reason is its first log line: before `--- SKIP:` with -v, after it without.
	block := ""    // the first line of the indented block just read, "" after any other line
	lastSkip := -1 // the skip waiting for its reason in the lines after it
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		trimmed := strings.TrimSpace(line)
		indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
		if trimmed != "" && indented && !strings.HasPrefix(trimmed, "---") {
			if block == "" {
				block = logText(trimmed)
			}
			if lastSkip >= 0 {
				raw.Skipped[lastSkip].Reason = block
				lastSkip = -1
			}
			continue
		}
		prevBlock := block
		block, lastSkip = "", -1
		switch {
		case strings.HasPrefix(trimmed, "--- FAIL:") || trimmed == "FAIL" || strings.HasPrefix(trimmed, "FAIL\t"):
			return nil, fmt.Errorf("%s:%d: a failed run (%s); it is not rendered", source, n, trimmed)
		case strings.HasPrefix(trimmed, "--- SKIP:"):
			raw.Skipped = append(raw.Skipped, Skip{Name: strings.TrimSpace(strings.TrimPrefix(trimmed, "--- SKIP:")), Reason: prevBlock})
			if prevBlock == "" {
				lastSkip = len(raw.Skipped) - 1
			}
		case strings.HasPrefix(line, "Benchmark"):
			name, res, ok, err := parseResult(line)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %v", source, n, err)
			}
			if ok {
				res.Line = n
				raw.Results = append(raw.Results, res)
				names = append(names, name)
			}
		default:
			if m := configLine.FindStringSubmatch(line); m != nil && configKeys[m[1]] {
				if _, seen := raw.Config[m[1]]; !seen {
					raw.Config[m[1]] = strings.TrimSpace(m[2])
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", source, err)
	}
	if len(raw.Results) == 0 {
		return nil, fmt.Errorf("%s: no benchmark result lines (BenchmarkName  N  V ns/op ...)", source)
	}
	raw.Skipped = uniqueSkips(raw.Skipped)
	strip := commonProcs(names)
	for i := range raw.Results {
		raw.Results[i].Name = strings.TrimSuffix(names[i], strip)
	}
	return raw, nil
}

// parseResult reads `Name  N  V ns/op  V unit ...`. ok is false for lines that are not results (a benchmark's
// name alone, as -v prints it when the benchmark starts); err is set for a line that starts as a result (a name
// and a count of iterations) and then goes wrong.
func parseResult(line string) (name string, res Result, ok bool, err error) {
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", res, false, nil
	}
	iters, perr := strconv.ParseInt(f[1], 10, 64)
	if perr != nil {
		return "", res, false, nil
	}
	rest := f[2:]
	if len(rest) == 0 || len(rest)%2 != 0 {
		return "", res, false, fmt.Errorf("result line of %s: expected `value unit` pairs after the iterations, got %q", f[0], strings.Join(rest, " "))
	}
	res.Iterations = iters
	for i := 0; i < len(rest); i += 2 {
		v, perr := strconv.ParseFloat(rest[i], 64)
		if perr != nil {
			return "", res, false, fmt.Errorf("result line of %s: %q is not a number (before %q)", f[0], rest[i], rest[i+1])
		}
		res.Metrics = append(res.Metrics, Metric{Unit: rest[i+1], Value: v})
	}
	return f[0], res, true, nil
}

// uniqueSkips keeps the first of each name (-count repeats them).
func uniqueSkips(ss []Skip) []Skip {
	var out []Skip
	seen := map[string]bool{}
	for _, s := range ss {
		if !seen[s.Name] {
			seen[s.Name] = true
			out = append(out, s)
		}
	}
	return out
}

// logText is a log line without the file:line: go test puts before it.
func logText(s string) string {
	if i := strings.Index(s, ": "); i >= 0 && strings.Contains(s[:i], ".go:") {
		return s[i+2:]
	}
	return s
}

// commonProcs is the -P suffix every name ends in, or "" when they do not all end in the same one (GOMAXPROCS 1,
// or -cpu with several values).
func commonProcs(names []string) string {
	common := ""
	for i, name := range names {
		m := procsSuffix.FindString(name)
		if m == "" || (i > 0 && m != common) {
			return ""
		}
		common = m
	}
	return common
}

// header is the driver's own configuration lines, written before go test's output in raw.txt.
func header(m Meta) []byte {
	var b bytes.Buffer
	for _, kv := range [][2]string{{"date", m.Date}, {"command", m.Command}, {"nproc", m.Nproc}, {"kernel", m.Kernel}, {"go", m.Go}} {
		fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
	}
	return b.Bytes()
}

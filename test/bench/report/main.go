package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the flags.
type options struct {
	bench, input, check, out, svg string
	count                         int
	strict, outSet                bool
}

// errUsage is a bad command line; the flag package has said why.
var errUsage = errors.New("usage")

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./test/bench/report [flags]  (from the module root; see its doc.go)\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.bench, "bench", ".", "which benchmarks to run (go test -bench)")
	fs.IntVar(&o.count, "count", 1, "repetitions of each benchmark (go test -count)")
	fs.StringVar(&o.input, "input", "", "render this go test -bench output instead of running the benchmarks")
	fs.StringVar(&o.check, "check", "", "compare with an earlier results.json; writes nothing unless -out is given")
	fs.StringVar(&o.out, "out", "bench", "directory of raw.txt, results.md and results.json")
	fs.StringVar(&o.svg, "svg", "docs/performance.svg", "where the datapath plot goes")
	fs.BoolVar(&o.strict, "strict", false, "exit 1 when a target is missed or not measured, or a -check figure is not reproduced")
	if err := fs.Parse(args); err != nil {
		return o, errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	o.outSet = set["out"]
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	case o.count < 1:
		return o, fmt.Errorf("-count %d: at least 1", o.count)
	case o.bench == "":
		return o, fmt.Errorf("-bench: empty")
	case o.input != "" && (set["bench"] || set["count"]):
		return o, fmt.Errorf("-bench and -count choose what to run; -input reads an output instead")
	case o.out == "":
		return o, fmt.Errorf("-out: empty")
	}
	return o, nil
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return 2
	}
	failed, err := report(o, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "report: %v\n", err)
		return 1
	}
	if o.strict && failed {
		return 1
	}
	return 0
}

// report does the work. failed says a target was missed or not measured, or a figure not reproduced.
func report(o options, stdout, stderr io.Writer) (failed bool, err error) {
	var earlier *ResultsJSON
	if o.check != "" {
		// Read first: the run may replace that very file.
		if earlier, err = LoadResults(o.check); err != nil {
			return false, err
		}
	}

	var raw []byte
	source := filepath.ToSlash(filepath.Join(o.out, "raw.txt"))
	if o.input != "" {
		if raw, err = os.ReadFile(o.input); err != nil {
			return false, err
		}
		source = filepath.ToSlash(o.input)
	} else {
		args := goTestArgs(o.bench, o.count)
		meta := thisMachine(goCommand, commandText("go", args))
		output, err := runBenchmarks(args, stderr)
		if err != nil {
			return false, err
		}
		raw = append(header(meta), output...)
	}
	parsed, err := Parse(bytes.NewReader(raw), source)
	if err != nil {
		return false, err
	}

	figs := Aggregate(parsed.Results)
	checks, err := Evaluate(targets, figs)
	if err != nil {
		return false, err
	}
	rep := Report{Meta: metaOf(parsed.Config), Source: source, Link: linkFrom(o.out, source), Figures: figs,
		Checks: checks, Skipped: parsed.Skipped}

	var md bytes.Buffer
	if err := WriteResultsMarkdown(&md, rep); err != nil {
		return false, err
	}
	js, err := MarshalResults(rep)
	if err != nil {
		return false, err
	}
	var svg bytes.Buffer
	plot, hasPlot := PlotOf(figs)
	if hasPlot {
		if err := WriteSVG(&svg, plot); err != nil {
			return false, err
		}
	}

	if err := WriteSummary(stdout, rep); err != nil {
		return false, err
	}
	met, total := Tally(checks)
	failed = met < total
	if earlier != nil {
		repros, notInRun := Compare(figs, earlier)
		outside, err := WriteCheck(stdout, o.check, repros, notInRun)
		if err != nil {
			return false, err
		}
		failed = failed || outside > 0
	}

	if o.check != "" && !o.outSet {
		fmt.Fprintf(stderr, "report: -check without -out: nothing written\n")
		return failed, nil
	}
	files := []outFile{{filepath.Join(o.out, "results.md"), md.Bytes()}, {filepath.Join(o.out, "results.json"), js}}
	if o.input == "" {
		files = append([]outFile{{filepath.Join(o.out, "raw.txt"), raw}}, files...)
	}
	if hasPlot {
		files = append(files, outFile{o.svg, svg.Bytes()})
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return false, err
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return false, err
		}
		fmt.Fprintf(stderr, "report: wrote %s\n", f.path)
	}
	return failed, nil
}

// outFile is a file the report writes.
type outFile struct {
	path string
	data []byte
}

// linkFrom is source as a link from a file in dir, or source itself when there is none.
func linkFrom(dir, source string) string {
	absDir, err1 := filepath.Abs(dir)
	absSrc, err2 := filepath.Abs(source)
	if err1 != nil || err2 != nil {
		return source
	}
	rel, err := filepath.Rel(absDir, absSrc)
	if err != nil {
		return source
	}
	return filepath.ToSlash(rel)
}

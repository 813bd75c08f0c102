// Command report is the driver of `make bench`: it runs the benchmarks of test/bench once, or reads an output of
// them, and turns the standard `go test -bench` lines into one table checked against the targets of the issues.
//
// Usage, from the module root (the benchmarks need root; a full run takes 6–10 minutes on a 2-core machine):
//
//	go run ./test/bench/report [-bench REGEXP] [-count N] [-input FILE] [-check FILE.json] [-out DIR] [-svg FILE] [-strict]
//
// Without -input it runs
//
//	go test -run '^$' -bench REGEXP -benchtime 1x -count N -timeout 40m -v ./test/bench/
//
// with the output passed through to stderr as it comes (-v so that each benchmark is named when it starts), and
// prints the table to stdout. When the run succeeds it writes, under -out (default bench):
//
//   - raw.txt: the output of go test, after a header of configuration lines of its own (date, command, nproc,
//     kernel, go) in the `key: value` form of goos:, cpu: and the others, so that `-input bench/raw.txt` renders the
//     same results.md again on any machine. It is committed with the results as their evidence.
//   - results.md: date (UTC), the command, the machine, the table and "targets met: K of N" with the misses.
//   - results.json: the same figures for programs (median, min and max of each), which -check reads.
//
// and docs/performance.svg (-svg), the datapath plot, when there are datapath results. When go test fails it
// writes nothing, so the committed results never hold a partial run; the output is on stderr.
//
// -input FILE parses FILE instead of running (re-rendering, tests); it writes results.md, results.json and the
// plot, not raw.txt. -check FILE.json compares the figures with those of an earlier results.json: whether each new
// median lies within the earlier [min–max]. It writes nothing unless -out is given, so that checking against
// bench/results.json does not replace it. -strict makes the exit status 1 when a target is missed or not measured
// or, with -check, when a figure is not reproduced; without it the exit status is 0 whatever the figures say. Bad
// flags, a failed go test and an unparsable -input exit non-zero with one message.
//
// # Lines
//
// A result line is `BenchmarkName/sub-P  ITERATIONS  V ns/op  V UNIT ...`; the -P suffix (GOMAXPROCS) is stripped
// when every result line ends in the same -P (go test omits it when GOMAXPROCS is 1, so a name that ends in a
// number, like nftpolicy-10000, is kept whole then). The header lines goos:, goarch:, pkg: and cpu: are kept, and
// `--- SKIP:` lines are listed; a `--- FAIL:` or FAIL line makes the input a failed run. Every other line is
// ignored.
//
// # Figures
//
// Each (benchmark, metric) is one figure, shown as "median [min–max]", in the order the benchmarks ran:
//
//   - a metric NAME with companions NAME-min and NAME-max on the same line was measured in rounds by the benchmark
//     itself: NAME is the median, the companions the range (over -count repetitions: the median of the medians,
//     the least min and the greatest max);
//   - any other metric is taken over the -count repetitions: their median, least and greatest (with one
//     repetition all three are the value).
//
// ns/op is dropped for benchmarks that report metrics of their own, since with -benchtime 1x it times setup and
// measurement alike. B/op and allocs/op are kept.
//
// # The contract with the benchmarks
//
// The metric names targets.go and the plot read are the contract with the benchmark authors (<topology> is
// routed or bridge today; any name without a slash works):
//
//	BenchmarkDatapath/<topology>/nftpolicy-<P>   new-conn-x (+ -min, -max): new connection latency ÷ no filter, P policies
//	BenchmarkDatapath/<topology>/naive-<P>       new-conn-x (+ -min, -max): the same for the naive ruleset
//	BenchmarkDatapath/<topology>/conntrack       new-conn-x (+ -min, -max): conntrack only, the plot's reference line
//	BenchmarkDatapath/<topology>/nftpolicy-10000 vs-conntrack-x, vs-10-policies-x, rr-x
//	BenchmarkBuildCompile/policies=10000/pods=50000  ms (+ -min, -max): one build+compile
//	BenchmarkFirstBatch                          apply-ms
//	BenchmarkChange/relabel                      msgs, apply-µs (µ is U+00B5)
//	BenchmarkAgent…50000…                        rss-MB
//	BenchmarkAgent…Churn…                        p99-ms
//
// A target whose benchmark or metric is renamed is printed as "not measured"; the fix is one line of targets.go.
//
// # The plot
//
// docs/performance.svg is hand-written SVG: new-conn-x against the number of policies (log scale), one line per
// ruleset and topology (nftpolicy solid, naive dashed), min–max as error bars, conntrack as a dotted reference
// line per topology and no filter (1) as a grey one; the y axis is logarithmic when a naive figure exceeds ten
// times the smallest one. The same figures always give the same bytes.
package main

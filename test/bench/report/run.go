package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// goCommand is the go tool the driver runs; a test points it at a stand-in.
var goCommand = "go"

// benchPackage is the package of the benchmarks, from the module root.
const benchPackage = "./test/bench/"

// goTestArgs is the go test command line of a run. -v names each benchmark as it starts, for the human watching.
// The timeout allows 40 minutes per repetition (a full run takes 6–10).
func goTestArgs(bench string, count int) []string {
	return []string{"test", "-run", "^$", "-bench", bench, "-benchtime", "1x", "-count", strconv.Itoa(count),
		"-timeout", strconv.Itoa(40*count) + "m", "-v", benchPackage}
}

// commandText is the command as one would type it in a shell.
func commandText(name string, args []string) string {
	words := []string{name}
	for _, a := range args {
		words = append(words, shellQuote(a))
	}
	return strings.Join(words, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runBenchmarks runs go test, passing its output through to live as it comes, and returns that output. A failed
// run is an error, whatever it printed.
func runBenchmarks(args []string, live io.Writer) ([]byte, error) {
	if _, err := os.Stat(benchPackage); err != nil {
		return nil, fmt.Errorf("no %s here: run from the module root (make bench does)", benchPackage)
	}
	var out bytes.Buffer
	cmd := exec.Command(goCommand, args...)
	cmd.Stdout = io.MultiWriter(live, &out)
	cmd.Stderr = cmd.Stdout
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s failed (%v); nothing written, its output is above", commandText("go", args), err)
	}
	return out.Bytes(), nil
}

package main

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Meta is where and how the figures were taken.
type Meta struct {
	Date    string // RFC 3339, UTC
	Command string // the go test command line
	CPU     string // go test's cpu: line
	Nproc   string // CPUs this process may use, as nproc(1) counts them
	Kernel  string // /proc/sys/kernel/osrelease
	Go      string // go env GOVERSION
	GOOS    string
	GOARCH  string
}

const notRecorded = "not recorded"

// metaOf reads the configuration lines of an output: go test's, and the driver's header when the output is its
// raw.txt. What is missing is "not recorded": a file read with -input may come from another machine.
func metaOf(cfg map[string]string) Meta {
	get := func(k string) string {
		if v := cfg[k]; v != "" {
			return v
		}
		return notRecorded
	}
	return Meta{Date: get("date"), Command: get("command"), CPU: get("cpu"), Nproc: get("nproc"),
		Kernel: get("kernel"), Go: get("go"), GOOS: get("goos"), GOARCH: get("goarch")}
}

// thisMachine is the driver's header for a run on this machine now.
func thisMachine(goBin string, command string) Meta {
	m := Meta{Date: time.Now().UTC().Format(time.RFC3339), Command: command, Nproc: strconv.Itoa(runtime.NumCPU()),
		Kernel: notRecorded, Go: notRecorded}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := exec.Command(goBin, "env", "GOVERSION").Output(); err == nil {
		m.Go = strings.TrimSpace(string(b))
	}
	return m
}

// dateText is the date for people: "2006-01-02 15:04 UTC".
func (m Meta) dateText() string {
	t, err := time.Parse(time.RFC3339, m.Date)
	if err != nil {
		return m.Date
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// machineText is one line: the CPU, how many, the kernel, Go and the platform.
func (m Meta) machineText() string {
	return m.CPU + "; nproc " + m.Nproc + "; kernel " + m.Kernel + "; " + m.Go + " " + m.GOOS + "/" + m.GOARCH
}

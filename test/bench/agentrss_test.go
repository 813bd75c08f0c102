package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// rssSamples is how many times agentRSS reads the agent's VmRSS, rssEvery apart.
const (
	rssSamples = 5
	rssEvery   = 200 * time.Millisecond
)

// buildAgent builds cmd/nftpolicy into a directory removed when b ends, and returns the binary's path: the RSS
// that matters is the shipped binary's, without the benchmark's own memory around it.
func buildAgent(b *testing.B) string {
	b.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(goruntime.GOROOT(), "bin", "go")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(b.TempDir(), "nftpolicy")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/nftpolicy")
	cmd.Dir = root
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build ./cmd/nftpolicy: %v\n%s", err, out)
	}
	b.Logf("built %s in %s", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// agentRSS runs `nftpolicy agent` for node as a child process against api, programming a network namespace of
// its own (--status=false: no NodePolicyStatus CRD in this API server), waits until that namespace holds exactly
// want, then reads the agent's VmRSS 5 times 200 ms apart. It reports rss-MB (+ -min, -max), hwm-MB (VmHWM: the
// peak, reached while the first list of every pod is decoded) and first-sync-s (process start → want in the
// kernel). The agent is stopped (SIGTERM) when b ends.
func agentRSS(b *testing.B, api *agentAPI, bin, node string, want *nft.Table) {
	_, path := netnstest.New(b, "agentrss")
	logPath := filepath.Join(b.TempDir(), "agent.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "agent", "--node-name", node, "--netns", path, "--kubeconfig", api.kubeconfig,
		"--metrics-bind-address", "127.0.0.1:0", "--health-probe-bind-address", "127.0.0.1:0", "--status=false")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	failf := func(format string, args ...any) {
		b.Helper()
		log, _ := os.ReadFile(logPath)
		if len(log) > 4000 {
			log = log[len(log)-4000:]
		}
		b.Fatalf("%s\nagent log (tail):\n%s", fmt.Sprintf(format, args...), log)
	}

	conn, err := kernel.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	shape := "no table"
	for {
		select {
		case <-exited:
			failf("the agent exited before its table was in force: %v", waitErr)
		default:
		}
		got, err := conn.Read()
		if err != nil {
			failf("read the agent's table: %v", err)
		}
		if got != nil {
			p := nft.Diff(got, want)
			if p.Empty() {
				break
			}
			shape = "the table differs from the compiled one by " + planShape(p)
		}
		if time.Since(start) > 5*time.Minute {
			failf("the agent did not program node-0's table within 5 minutes: %s", shape)
		}
		time.Sleep(200 * time.Millisecond)
	}
	synced := time.Since(start)

	var rss []float64
	hwm := 0.0
	for i := range rssSamples {
		if i > 0 {
			time.Sleep(rssEvery)
		}
		st, err := procStatus(cmd.Process.Pid)
		if err != nil {
			failf("%v", err)
		}
		rss = append(rss, float64(st["VmRSS"])/(1<<20))
		hwm = float64(st["VmHWM"]) / (1 << 20)
	}
	reportSpread(b, "rss-MB", rss)
	b.ReportMetric(hwm, "hwm-MB")
	b.ReportMetric(synced.Seconds(), "first-sync-s")
	b.Logf("agent binary (pid %d): table in force after %s, VmRSS %.1f–%.1f MB, VmHWM %.1f MB", cmd.Process.Pid,
		synced.Round(time.Millisecond), slices.Min(rss), slices.Max(rss), hwm)
}

// procStatus reads the kB fields of /proc/PID/status (VmRSS, VmHWM, ...), in bytes.
func procStatus(pid int) (map[string]int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("status of the agent: %w", err)
	}
	out := map[string]int64{}
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		k, v, ok := strings.Cut(string(line), ":")
		if v, isKB := strings.CutSuffix(strings.TrimSpace(v), " kB"); ok && isKB {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("/proc/%d/status: %s: %w", pid, line, err)
			}
			out[k] = n << 10
		}
	}
	if out["VmRSS"] == 0 {
		return nil, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
	}
	return out, nil
}

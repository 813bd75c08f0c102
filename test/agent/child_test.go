package agent

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/internal/agentcmd"
)

// childEnv, set in a child's environment, makes this test binary run `nftpolicy agent` with the child's
// arguments instead of the tests: the same code as cmd/nftpolicy (agentcmd.Main), in a process of its own that a
// spec can SIGKILL, without building a second binary.
const childEnv = "NFTPOLICY_TEST_AGENT_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
		defer stop()
		os.Exit(agentcmd.Main(ctx, os.Args[1:], agentcmd.Streams{Out: os.Stdout, Err: os.Stderr}))
	}
	os.Exit(m.Run())
}

// agentKubeconfig is a kubeconfig file for child agents (system:masters on the suite's API server), written once.
var agentKubeconfig = sync.OnceValues(func() (string, error) {
	user, err := testEnv.AddUser(envtest.User{Name: "child-agent", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return "", fmt.Errorf("envtest user for child agents: %w", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		return "", fmt.Errorf("kubeconfig for child agents: %w", err)
	}
	path := filepath.Join(certDir, "child-agent.kubeconfig")
	return path, os.WriteFile(path, kc, 0o600)
})

// agentProc is `nftpolicy agent` for the world's node running as a child process.
type agentProc struct {
	cmd       *exec.Cmd
	started   time.Time
	exited    chan struct{}
	logPath   string
	probeAddr string // of /healthz and /readyz

	mu      sync.Mutex
	applied []time.Time // when each "applied batch" line was read
	waitErr error
}

// startAgentProc starts the child agent of the world's node (no NodePolicyStatus: this API server has no CRDs);
// it is killed when the spec ends, if not before.
func (w *world) startAgentProc(extra ...string) *agentProc {
	GinkgoHelper()
	kc, err := agentKubeconfig()
	Expect(err).NotTo(HaveOccurred())
	probeAddr := freeLocalAddr()
	args := append([]string{"agent", "--node-name", w.node, "--netns", w.c.NodeNetnsPath(w.node), "--kubeconfig", kc,
		"--metrics-bind-address", "0", "--health-probe-bind-address", probeAddr, "--status=false"}, extra...)
	p := &agentProc{exited: make(chan struct{}), probeAddr: probeAddr,
		logPath: filepath.Join(GinkgoT().TempDir(), fmt.Sprintf("agent-%d.log", time.Now().UnixNano()))}
	p.cmd = exec.Command(os.Args[0], args...)
	p.cmd.Env = append(os.Environ(), childEnv+"=1")
	logFile, err := os.Create(p.logPath)
	Expect(err).NotTo(HaveOccurred())
	stderr, err := p.cmd.StderrPipe()
	Expect(err).NotTo(HaveOccurred())
	p.cmd.Stdout = logFile
	p.started = time.Now()
	Expect(p.cmd.Start()).To(Succeed(), "start the child agent")
	go func() {
		defer logFile.Close()
		p.scan(stderr, logFile)
		err := p.cmd.Wait()
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
		close(p.exited)
	}()
	DeferCleanup(p.kill)
	return p
}

// scan copies the agent's log to out and notes when each batch was applied.
func (p *agentProc) scan(r io.Reader, out io.Writer) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "applied batch") {
			p.mu.Lock()
			p.applied = append(p.applied, time.Now())
			p.mu.Unlock()
		}
		fmt.Fprintln(out, line)
	}
}

// appliedAfter returns the first time a batch was applied after t, and false if none was yet.
func (p *agentProc) appliedAfter(t time.Time) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, at := range p.applied {
		if at.After(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

// waitReady waits until /readyz answers 200: the agent's first sync is done.
func (p *agentProc) waitReady(ctx context.Context) {
	GinkgoHelper()
	a := agentRun{probeAddr: p.probeAddr}
	Eventually(ctx, a.readyz).WithTimeout(30*time.Second).Should(Succeed(), "child agent ready; its log:\n%s", p.log())
}

// kill sends SIGKILL and waits for the process to be gone (no-op when it already is).
func (p *agentProc) kill() {
	GinkgoHelper()
	select {
	case <-p.exited:
		return
	default:
	}
	Expect(p.cmd.Process.Signal(syscall.SIGKILL)).To(Succeed())
	Eventually(p.exited).WithTimeout(10 * time.Second).Should(BeClosed())
}

// log returns the tail of the agent's log, for failure messages.
func (p *agentProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

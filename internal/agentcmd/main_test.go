package agentcmd

import (
	"bytes"
	"context"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Streams{Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestBadCommandLinesSayWhatIsWrongAndExit2(t *testing.T) {
	t.Setenv("NODE_NAME", "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"frob"}, `error: unknown command "frob"; commands: agent, cleanup`},
		{[]string{"agent"}, "error: nftpolicy agent: --node-name or $NODE_NAME is required"},
		{[]string{"agent", "--bogus"}, "error: nftpolicy agent: flag provided but not defined: -bogus (see nftpolicy agent -h)"},
		{[]string{"agent", "--node-name", "n", "--verify-interval", "often"}, `invalid value "often" for flag -verify-interval`},
		{[]string{"agent", "--node-name", "n", "--verify-interval", "-1s"}, "--verify-interval must not be negative"},
		{[]string{"agent", "--node-name", "n", "--api-unreachable-after", "0s"}, "--api-unreachable-after must be positive"},
		{[]string{"agent", "--node-name", "n", "extra"}, `error: nftpolicy agent: unexpected argument "extra"`},
		{[]string{"agent", "--node-name", "n", "--log-group", "70000"}, "--log-group must be at most 65535, got 70000"},
		{[]string{"agent", "--node-name", "n", "--log-rate", "0"}, "--log-rate must be between 1 and"},
		{[]string{"agent", "--node-name", "n", "--log-burst", "0"}, "--log-burst must be between 1 and"},
		{[]string{"cleanup", "--node-name", "n"}, "error: nftpolicy cleanup: flag provided but not defined: -node-name"},
	} {
		code, stdout, stderr := run(t, tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", tc.args, code, stdout, stderr,
				tc.want)
		}
	}
}

func TestHelp(t *testing.T) {
	if code, out, _ := run(t); code != exitUsage || !strings.Contains(out, "nftpolicy agent --node-name NAME") {
		t.Errorf("no args: exit %d, %q", code, out)
	}
	if code, out, _ := run(t, "help"); code != exitOK || !strings.Contains(out, "nftpolicy cleanup") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	code, out, _ := run(t, "agent", "-h")
	if code != exitOK {
		t.Errorf("agent -h: exit %d", code)
	}
	for _, flag := range []string{"-node-name", "-netns", "-kubeconfig", "-metrics-bind-address",
		"-metrics-cert-dir", "-health-probe-bind-address", "-verify-interval", "-api-unreachable-after", "-status", "-zap-log-level", "-v "} {
		if !strings.Contains(out, flag) {
			t.Errorf("agent -h does not list %s:\n%s", flag, out)
		}
	}
}

func TestAgentFlags(t *testing.T) {
	t.Setenv("NODE_NAME", "from-env")
	parse := func(args ...string) agentFlags {
		t.Helper()
		fs := flag.NewFlagSet("agent", flag.ContinueOnError)
		var f agentFlags
		f.bind(fs)
		if err := parse(fs, args, Streams{}); err != nil {
			t.Fatal(err)
		}
		if err := f.complete(fs); err != nil {
			t.Fatal(err)
		}
		return f
	}
	f := parse()
	if f.opts.NodeName != "from-env" || f.opts.VerifyInterval != 30*time.Second || f.opts.MetricsAddr != ":9750" ||
		f.opts.ProbeAddr != ":9751" || f.opts.MetricsCertDir != "" || f.opts.NoStatus || f.opts.Strict {
		t.Errorf("defaults: %+v", f.opts)
	}
	f = parse("--node-name", "n1", "--netns", "/run/netns/x", "--verify-interval", "0", "-v", "4", "--status=false",
		"--metrics-cert-dir", "/certs", "--strict")
	if f.opts.NodeName != "n1" || f.opts.NetnsPath != "/run/netns/x" || f.opts.VerifyInterval >= 0 || !f.opts.NoStatus ||
		f.opts.MetricsCertDir != "/certs" || !f.opts.Strict {
		t.Errorf("flags: %+v", f.opts)
	}
	if f.opts.NoDropLog || f.opts.DropLog.Group != 100 || f.opts.Audit || f.opts.DropEvents {
		t.Errorf("drop log flags: %+v", f.opts)
	}
	g := parse("--node-name", "n", "--log-group", "0", "--audit", "--drop-events")
	if !g.opts.NoDropLog || !g.opts.Audit || !g.opts.DropEvents {
		t.Errorf("--log-group 0 --audit --drop-events: %+v", g.opts)
	}
	g = parse("--node-name", "n", "--log-group", "7", "--log-rate", "3", "--log-burst", "9")
	if g.opts.NoDropLog || g.opts.DropLog.Group != 7 || g.opts.DropLog.Rate != 3 || g.opts.DropLog.Burst != 9 {
		t.Errorf("--log-group 7 --log-rate 3 --log-burst 9: %+v", g.opts.DropLog)
	}
	if f.zap.Level == nil || !f.zap.Level.Enabled(zapcore.Level(-4)) || f.zap.Level.Enabled(zapcore.Level(-5)) {
		t.Errorf("-v 4: zap level %v, want debug level 4", f.zap.Level)
	}
}

func TestKubeconfigErrorsExit1(t *testing.T) {
	code, _, stderr := run(t, "agent", "--node-name", "n", "--kubeconfig", "/nonexistent/kubeconfig",
		"--zap-log-level", "error")
	if code != exitError || !strings.Contains(stderr, "error: kubeconfig:") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestCleanupRemovesOurTableAndNothingElse(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (a network namespace of its own)")
	}
	name, path := netnstest.New(t, "cleanup")
	script := "table inet nftpolicy {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n }\n}\n" +
		"table inet other {\n chain c {\n }\n}\ntable ip nftpolicy {\n chain c {\n }\n}\n"
	if out, err := netnstest.Exec(t, name, script, "nft", "-f", "-"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	code, out, stderr := run(t, "cleanup", "--netns", path)
	if code != exitOK || !strings.Contains(out, "table inet nftpolicy: removed from network namespace "+path) {
		t.Fatalf("cleanup: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	list, err := netnstest.Exec(t, name, "", "nft", "list", "tables")
	if err != nil {
		t.Fatal(err)
	}
	if list != "table inet other\ntable ip nftpolicy\n" {
		t.Errorf("tables left: %q, want inet other and ip nftpolicy", list)
	}
	code, out, _ = run(t, "cleanup", "--netns", path)
	if code != exitOK || !strings.Contains(out, "not present") {
		t.Errorf("second cleanup: exit %d, %q", code, out)
	}
}

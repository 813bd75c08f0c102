package agentcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/controllers"
)

// Default bind addresses. The agent runs with hostNetwork, so its ports are the node's: these avoid the
// usual 8080/8081.
const (
	DefaultMetricsAddr = ":9750"
	DefaultProbeAddr   = ":9751"
)

// agentFlags are the flags of `nftpolicy agent`.
type agentFlags struct {
	opts    controllers.Options
	verify  time.Duration
	status  bool
	verbose int
	// drop log
	logGroup, logRate, logBurst uint
	zap                         zap.Options
}

func (f *agentFlags) bind(fs *flag.FlagSet) {
	fs.StringVar(&f.opts.NodeName, "node-name", os.Getenv("NODE_NAME"),
		"the node this agent enforces policy for (default $NODE_NAME)")
	fs.StringVar(&f.opts.NetnsPath, "netns", "",
		"program the network namespace at this path, e.g. /run/netns/NAME (default: this process's)")
	fs.StringVar(&f.opts.MetricsAddr, "metrics-bind-address", DefaultMetricsAddr,
		`address of /metrics (HTTPS; a bearer token allowed get on /metrics is required); "0" disables it`)
	fs.StringVar(&f.opts.MetricsCertDir, "metrics-cert-dir", "",
		"directory with tls.crt and tls.key for /metrics (default: a self-signed certificate made at start)")
	fs.StringVar(&f.opts.ProbeAddr, "health-probe-bind-address", DefaultProbeAddr,
		`address of /healthz and /readyz (plain HTTP, no authentication); "0" disables them`)
	fs.DurationVar(&f.verify, "verify-interval", controllers.DefaultVerifyInterval,
		"how often to read the table back and restore it if someone changed it; 0 disables")
	fs.DurationVar(&f.opts.APIUnreachableAfter, "api-unreachable-after", controllers.DefaultAPIUnreachableAfter,
		"report not ready once watching the API server has been failing this long")
	fs.BoolVar(&f.status, "status", true,
		"write this node's NodePolicyStatus (created, named after the node); --status=false disables it")
	fs.BoolVar(&f.opts.DropEvents, "drop-events", false,
		"record a Warning Event on a pod whose packets were dropped (at most one a minute per pod)")
	fs.BoolVar(&f.opts.Audit, "audit", false,
		"audit mode for the whole cluster: packets no policy allows are logged and counted, not dropped "+
			"(per namespace: annotate it nftpolicy.dev/audit=true)")
	fs.BoolVar(&f.opts.Strict, "strict", false,
		"cut established connections a policy change denies (their conntrack entries are deleted after the sync), "+
			"and drop TCP segments conntrack sees as new that are not a SYN; default: changes apply to new connections")
	fs.UintVar(&f.logGroup, "log-group", compiler.DefaultLogGroup,
		"NFLOG group the ruleset logs dropped packets to, and the agent reads them from; 0 disables drop logging")
	fs.UintVar(&f.logRate, "log-rate", compiler.DefaultLogRate,
		"dropped packets logged per second, per group chain (a kernel limit)")
	fs.UintVar(&f.logBurst, "log-burst", compiler.DefaultLogBurst, "dropped packets logged in a burst above --log-rate")
	fs.IntVar(&f.verbose, "v", 0, "log verbosity: 4 logs every applied batch as nft text (same as --zap-log-level=4)")
	config.RegisterFlags(fs) // --kubeconfig, read by config.GetConfig
	f.zap.BindFlags(fs)
}

// complete checks the flags and fills in what they imply.
func (f *agentFlags) complete(fs *flag.FlagSet) error {
	if f.opts.NodeName == "" {
		return errors.New("nftpolicy agent: --node-name or $NODE_NAME is required")
	}
	switch {
	case f.verify < 0:
		return fmt.Errorf("nftpolicy agent: --verify-interval must not be negative, got %s", f.verify)
	case f.verify == 0:
		f.opts.VerifyInterval = -1 // disabled
	default:
		f.opts.VerifyInterval = f.verify
	}
	if f.opts.APIUnreachableAfter <= 0 {
		return fmt.Errorf("nftpolicy agent: --api-unreachable-after must be positive, got %s", f.opts.APIUnreachableAfter)
	}
	f.opts.NoStatus = !f.status
	switch {
	case f.logGroup > 65535:
		return fmt.Errorf("nftpolicy agent: --log-group must be at most 65535, got %d", f.logGroup)
	case f.logRate == 0 || f.logRate > 1<<20:
		return fmt.Errorf("nftpolicy agent: --log-rate must be between 1 and %d, got %d", 1<<20, f.logRate)
	case f.logBurst == 0 || f.logBurst > 1<<20:
		return fmt.Errorf("nftpolicy agent: --log-burst must be between 1 and %d, got %d", 1<<20, f.logBurst)
	}
	f.opts.NoDropLog = f.logGroup == 0
	f.opts.DropLog = compiler.LogOptions{Group: uint16(f.logGroup), Rate: uint32(f.logRate), Burst: uint32(f.logBurst)}
	if f.verbose < 0 {
		return fmt.Errorf("nftpolicy agent: -v must not be negative, got %d", f.verbose)
	}
	fs.Visit(func(fl *flag.Flag) {
		if fl.Name == "v" {
			f.zap.Level = zapcore.Level(-f.verbose)
		}
	})
	return nil
}

// runAgent runs the agent until ctx ends.
func runAgent(ctx context.Context, args []string, s Streams) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	var f agentFlags
	f.bind(fs)
	if err := parse(fs, args, s); err != nil {
		return err
	}
	if err := f.complete(fs); err != nil {
		return usageError{err}
	}
	f.zap.DestWriter = s.Err
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&f.zap)))
	cfg, err := config.GetConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	agent, err := controllers.New(cfg, f.opts)
	if err != nil {
		return fmt.Errorf("agent of node %s: %w", f.opts.NodeName, err)
	}
	ctrl.Log.WithName("agent").Info("starting", "node", f.opts.NodeName, "netns", f.opts.NetnsPath,
		"verifyInterval", f.opts.VerifyInterval.String(), "strict", f.opts.Strict)
	return agent.Start(ctx)
}

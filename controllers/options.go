package controllers

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/tools/events"

	"github.com/nftpolicy/nftpolicy/compiler"
)

// Defaults of Options.
const (
	DefaultVerifyInterval      = 30 * time.Second
	DefaultAPIUnreachableAfter = 30 * time.Second
)

// Options configure the agent of one node.
type Options struct {
	// NodeName is the node whose pods this agent enforces policy for (required).
	NodeName string
	// NetnsPath is the network namespace to program, e.g. /run/netns/NAME; "" means the agent's own (the
	// host's, in a hostNetwork DaemonSet). Ignored when Dataplane is set.
	NetnsPath string
	// Dataplane replaces the kernel (tests). Nil: kernel.Open(NetnsPath), closed when the manager stops.
	Dataplane Dataplane

	// VerifyInterval is how often the table is read back and compared with what was applied. 0 means
	// DefaultVerifyInterval; negative disables verification.
	VerifyInterval time.Duration
	// APIUnreachableAfter is how long a watch or list may keep failing before /readyz fails. 0 means
	// DefaultAPIUnreachableAfter.
	APIUnreachableAfter time.Duration

	// MetricsAddr is the bind address of /metrics, e.g. ":9750"; "" or "0" disables it. It is served over HTTPS,
	// and only to clients whose bearer token the API server authenticates (TokenReview) and authorizes for get on
	// the non-resource URL /metrics (SubjectAccessReview), e.g. through the ClusterRole nftpolicy-metrics-reader.
	MetricsAddr string
	// MetricsCertDir holds the metrics server's certificate and key, tls.crt and tls.key (reloaded when they
	// change). "": a self-signed certificate generated at start.
	MetricsCertDir string
	// ProbeAddr is the bind address of /healthz and /readyz, e.g. ":9751"; "" or "0" disables it.
	ProbeAddr string

	// Registerer receives the agent's metrics. Nil: controller-runtime's registry (served on MetricsAddr).
	// Metrics already registered by an earlier manager in the same process are reused.
	Registerer prometheus.Registerer
	// Recorder emits Events on NetworkPolicies that cannot be enforced. Nil: the manager's recorder.
	Recorder events.EventRecorder
	// NoStatus disables the node's NodePolicyStatus: by default the agent creates it (named after the node,
	// owned by its Node) and writes the outcome of its syncs to its status, at most once a second.
	NoStatus bool
	// OnSync, when set, is called after every sync attempt, from the sync loop: it must not block.
	OnSync func(Report)

	// DropLog configures the drop log: the NFLOG group the group chains log to before they drop, and the kernel's
	// rate limit per chain. Zero fields take compiler's defaults (group 100, 10/s, burst 5).
	DropLog compiler.LogOptions
	// NoDropLog compiles no log rules and reads nothing (counters stay).
	NoDropLog bool
	// OnDrop, when set, is called for every drop read from the drop log: it must not block.
	OnDrop func(Drop)
	// DropEvents records a Warning Event (PacketDropped, PacketWouldDrop in audit mode) on the pod a logged drop
	// isolated, at most one per pod a minute. Off by default: Events cost API server writes.
	DropEvents bool
	// Audit puts the whole cluster in audit mode: packets no policy allows are logged and counted, not dropped.
	// Namespaces annotated nftpolicy.dev/audit: "true" are in audit mode either way.
	Audit bool
	// Strict cuts established connections a policy change denies. After every sync that changed the table (and
	// after the first), the agent lists conntrack in NetnsPath and deletes the entries of the TCP, UDP and SCTP
	// flows the new table would not let start (nftpolicy_strict_flows_cut_total); the forward chain then drops
	// TCP segments that conntrack sees as new but are not a SYN, so that a cut flow stays cut
	// (compiler.Options.Strict). Off: a policy change applies to new connections only.
	Strict bool

	// clusterPolicyRecheck replaces clusterPolicyRecheck, clusterPolicyConfirm absentConfirmEvery (tests).
	clusterPolicyRecheck, clusterPolicyConfirm time.Duration
}

// compileOptions are the compiler's options these Options ask for.
func (o Options) compileOptions() compiler.Options {
	c := compiler.Options{Counters: true, Audit: o.Audit, Strict: o.Strict}
	if !o.NoDropLog {
		c.Log = compiler.LogOptions{
			Group: cmp.Or(o.DropLog.Group, compiler.DefaultLogGroup),
			Rate:  cmp.Or(o.DropLog.Rate, compiler.DefaultLogRate),
			Burst: cmp.Or(o.DropLog.Burst, compiler.DefaultLogBurst),
		}
	}
	return c
}

// strictMode is what cuts denied flows in NetnsPath when Strict is set; nil otherwise.
func (o Options) strictMode() *strictMode {
	if !o.Strict {
		return nil
	}
	return netnsStrictMode(o.NetnsPath)
}

func (o Options) withDefaults() (Options, error) {
	if o.NodeName == "" {
		return o, errors.New("node name is required")
	}
	if o.VerifyInterval == 0 {
		o.VerifyInterval = DefaultVerifyInterval
	}
	if o.APIUnreachableAfter <= 0 {
		o.APIUnreachableAfter = DefaultAPIUnreachableAfter
	}
	if o.MetricsAddr == "" {
		o.MetricsAddr = "0"
	}
	if o.ProbeAddr == "" {
		o.ProbeAddr = "0"
	}
	if o.MetricsCertDir != "" {
		// controller-runtime would fall back to a self-signed certificate without a word.
		for _, f := range []string{metricsCertName, metricsKeyName} {
			if _, err := os.Stat(filepath.Join(o.MetricsCertDir, f)); err != nil {
				return o, fmt.Errorf("metrics certificate: %w", err)
			}
		}
	}
	return o, nil
}

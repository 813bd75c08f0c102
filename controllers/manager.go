package controllers

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// RecorderName is the reporting controller of the agent's Events.
const RecorderName = "nftpolicy-agent"

// Agent is the manager of one node's agent. Start it (manager.Manager's Start) to run it until its context
// ends; stopping leaves the table in force, as the next agent expects.
type Agent struct {
	manager.Manager
	sync   *NodeSync
	health *APIHealth
}

// New builds the agent of node opts.NodeName against the API server of cfg: the cache (transformed Pods,
// Namespaces, NetworkPolicies, and ClusterNetworkPolicies and Nodes when the API server serves
// ClusterNetworkPolicy), the sync loop, the writer of the node's NodePolicyStatus (unless
// opts.NoStatus), /healthz and /readyz on opts.ProbeAddr (plain HTTP, unauthenticated: the kubelet probes them),
// metrics on controller-runtime's registry served on opts.MetricsAddr (metricsServerOptions). Unless
// opts.Dataplane is set it opens nftables in opts.NetnsPath now, and closes it when the manager stops. Nothing is
// written before Start.
func New(cfg *rest.Config, opts Options) (*Agent, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), v1alpha1.AddToScheme(scheme), cnp.Install(scheme)); err != nil {
		return nil, fmt.Errorf("scheme: %w", err)
	}
	health := NewAPIHealth(opts.APIUnreachableAfter)
	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                 scheme,
		MapperProvider:         newRESTMapper,
		Cache:                  CacheOptions(health),
		Metrics:                metricsServerOptions(opts),
		HealthProbeBindAddress: opts.ProbeAddr,
	})
	if err != nil {
		return nil, fmt.Errorf("manager: %w", err)
	}
	reg := opts.Registerer
	if reg == nil {
		reg = ctrlmetrics.Registry
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	rec := opts.Recorder
	if rec == nil {
		rec = mgr.GetEventRecorder(RecorderName)
	}
	dp := opts.Dataplane
	if dp == nil {
		conn, err := kernel.Open(opts.NetnsPath)
		if err != nil {
			return nil, err
		}
		dp = conn
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			<-ctx.Done()
			return conn.Close()
		})); err != nil {
			conn.Close()
			return nil, err
		}
	}
	onSync := opts.OnSync
	// The status writer reads the counters and the drop log, which need the sync loop's chains: it is made
	// below, before anything runs (the sync loop calls onSync only once the manager has started).
	var w *statusWriter
	var activity statusActivity
	if !opts.NoStatus {
		onSync = func(r Report) {
			w.offer(r)
			if opts.OnSync != nil {
				opts.OnSync(r)
			}
		}
	}
	compile := opts.compileOptions()
	served, err := discoveryServed(cfg)
	if err != nil {
		return nil, err
	}
	s, err := NewNodeSync(NodeSyncConfig{
		Compile:              &compile,
		NodeName:             opts.NodeName,
		Reader:               mgr.GetCache(),
		Informers:            mgr.GetCache(),
		Dataplane:            dp,
		Recorder:             rec,
		VerifyInterval:       opts.VerifyInterval,
		strict:               opts.strictMode(),
		OnSync:               onSync,
		ClusterPolicies:      served,
		clusterPolicyRecheck: opts.clusterPolicyRecheck,
		clusterPolicyConfirm: opts.clusterPolicyConfirm,
		listError:            health.Failure,
		metrics:              m,
	})
	if err != nil {
		return nil, err
	}
	if err := s.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if cr, ok := dp.(counterReader); ok {
		pc := newPolicyCounters(cr, &s.chains)
		if err := pc.register(reg); err != nil {
			return nil, fmt.Errorf("policy counters: %w", err)
		}
		activity.counts = pc.counts
	}
	if opts.Dataplane == nil && compile.Log.Group != 0 {
		d := &dropLog{netns: opts.NetnsPath, group: compile.Log.Group, chains: &s.chains,
			pods: podsByIP{informers: mgr.GetCache()},
			log:  mgr.GetLogger().WithName("drops"), onDrop: opts.OnDrop, logged: m.dropsLogged, lost: m.dropsLost}
		if opts.DropEvents {
			d.events = newDropEvents(rec)
		}
		if err := mgr.Add(d); err != nil {
			return nil, err
		}
		activity.drops = d.Recent
	}
	if !opts.NoStatus {
		w = newStatusWriter(opts.NodeName, mgr.GetAPIReader(), mgr.GetClient(), activity)
		if err := mgr.Add(w); err != nil {
			return nil, err
		}
	}
	a := &Agent{Manager: mgr, sync: s, health: health}
	err = errors.Join(mgr.AddHealthzCheck("ping", healthz.Ping),
		mgr.AddReadyzCheck("sync", s.ReadyCheck), mgr.AddReadyzCheck("apiserver", health.Check))
	if err != nil {
		return nil, fmt.Errorf("health checks: %w", err)
	}
	return a, nil
}

// discoveryTimeout bounds one discovery request: an API server that does not answer is asked again.
const discoveryTimeout = 15 * time.Second

// discoveryServed asks the API server of cfg whether it serves ClusterNetworkPolicy (DiscoveryServed).
func discoveryServed(cfg *rest.Config) (ServedFunc, error) {
	c := rest.CopyConfig(cfg)
	c.Timeout = discoveryTimeout
	d, err := discovery.NewDiscoveryClientForConfig(c)
	if err != nil {
		return nil, fmt.Errorf("discovery client: %w", err)
	}
	return DiscoveryServed(d), nil
}

// The file names in Options.MetricsCertDir (controller-runtime's defaults, set here so that withDefaults checks
// the same names).
const (
	metricsCertName = "tls.crt"
	metricsKeyName  = "tls.key"
)

// metricsServerOptions serves /metrics over HTTPS behind controller-runtime's authentication and authorization
// filter: a request needs a bearer token that the API server accepts (TokenReview) for a user it allows get on
// the non-resource URL /metrics (SubjectAccessReview). Anything else gets no metrics: 401 without a token, 500
// for a token the API server rejects (its TokenReview reports an error), 403 for a user without the right. The agent's
// ClusterRole may therefore create tokenreviews and subjectaccessreviews (internal/rbac). The results are cached
// (allowed 5 min, denied 30 s, tokens 1 min), so a scrape every 30 s costs the API server little. With no
// certificate directory controller-runtime generates a self-signed certificate in memory at start (the image's
// root filesystem is read-only; its default directory, /tmp/k8s-metrics-server/serving-certs, does not exist).
func metricsServerOptions(opts Options) metricsserver.Options {
	o := metricsserver.Options{
		BindAddress:    opts.MetricsAddr,
		SecureServing:  true,
		FilterProvider: filters.WithAuthenticationAndAuthorization,
		// HTTP/1.1 only, as kubebuilder's scaffold does: a scraper needs nothing more, and HTTP/2 has had
		// denial-of-service bugs (stream resets, CVE-2023-44487) an endpoint open to the node's network need not risk.
		TLSOpts: []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }},
	}
	if opts.MetricsCertDir != "" {
		o.CertDir, o.CertName, o.KeyName = opts.MetricsCertDir, metricsCertName, metricsKeyName
	}
	return o
}

// Ready says what /readyz says: nil once a sync has succeeded, while the last one did not fail and the API
// server is reachable.
func (a *Agent) Ready() error {
	return errors.Join(a.sync.ReadyCheck(nil), a.health.Check(nil))
}

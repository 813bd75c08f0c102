package controllers

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Error kinds of nftpolicy_errors_total.
const (
	errList      = "list"      // reading the cache
	errBuild     = "build"     // building the IR (an object the builder refuses)
	errRead      = "read"      // reading the table back (full resync, verification)
	errDataplane = "dataplane" // applying a batch
)

// metrics are the agent's Prometheus collectors.
type metrics struct {
	syncDuration   prometheus.Histogram
	eventToKernel  prometheus.Histogram
	batches        prometheus.Counter
	batchMessages  prometheus.Histogram
	batchElements  prometheus.Histogram
	elementChanges prometheus.Counter
	rules          prometheus.Gauge
	sets           prometheus.Gauge
	elements       prometheus.Gauge
	enforced       prometheus.Gauge
	excluded       prometheus.Gauge
	tamperRepairs  prometheus.Counter
	errors         *prometheus.CounterVec
	lastSuccess    prometheus.Gauge
	dropsLogged    *prometheus.CounterVec
	dropsLost      prometheus.Counter
	strictCut      prometheus.Counter
	strictErrors   prometheus.Counter
}

func newMetrics(r prometheus.Registerer) (*metrics, error) {
	secs := prometheus.ExponentialBuckets(0.0005, 2, 18) // 0.5 ms .. 65 s
	counts := prometheus.ExponentialBuckets(1, 4, 10)    // 1 .. 262144
	m := &metrics{}
	var err error
	reg := func(c prometheus.Collector) prometheus.Collector {
		got, e := register(r, c)
		err = errors.Join(err, e)
		return got
	}
	m.syncDuration = reg(prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "nftpolicy_sync_duration_seconds", Buckets: secs,
		Help: "Time of one sync: list from the cache, build, compile, diff and apply (or find nothing to do).",
	})).(prometheus.Histogram)
	m.eventToKernel = reg(prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "nftpolicy_event_to_kernel_seconds", Buckets: secs,
		Help: "Time from the first watch event of a coalesced burst to the batch that reflects it being applied.",
	})).(prometheus.Histogram)
	m.batches = reg(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nftpolicy_batches_total", Help: "Non-empty netlink batches applied.",
	})).(prometheus.Counter)
	m.batchMessages = reg(prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "nftpolicy_batch_messages", Buckets: counts,
		Help: "Netlink messages per applied batch, derived from the plan (set elements go 1,000 to a message).",
	})).(prometheus.Histogram)
	m.batchElements = reg(prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "nftpolicy_batch_set_elements", Buckets: counts,
		Help: "Set and map elements added or deleted per applied batch (elements of new sets included).",
	})).(prometheus.Histogram)
	m.elementChanges = reg(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nftpolicy_set_element_changes_total", Help: "Set and map elements added or deleted, all batches.",
	})).(prometheus.Counter)
	m.rules = reg(gauge("nftpolicy_rules", "Rules in force in table inet nftpolicy.")).(prometheus.Gauge)
	m.sets = reg(gauge("nftpolicy_sets", "Sets and verdict maps in force.")).(prometheus.Gauge)
	m.elements = reg(gauge("nftpolicy_set_elements", "Set and map elements in force.")).(prometheus.Gauge)
	m.enforced = reg(gauge("nftpolicy_policies_enforced",
		"NetworkPolicies and ClusterNetworkPolicies that select at least one pod of this node.")).(prometheus.Gauge)
	m.excluded = reg(gauge("nftpolicy_policies_excluded",
		"NetworkPolicies and ClusterNetworkPolicies of the cluster set aside because they cannot be enforced.")).(prometheus.Gauge)
	m.tamperRepairs = reg(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nftpolicy_tamper_repairs_total",
		Help: "Times the verification found the table deleted or changed by someone else and restored it.",
	})).(prometheus.Counter)
	m.errors = reg(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nftpolicy_errors_total", Help: "Failed sync steps, by kind: list, build, read, dataplane.",
	}, []string{"kind"})).(*prometheus.CounterVec)
	m.lastSuccess = reg(gauge("nftpolicy_last_sync_success_timestamp_seconds",
		"Unix time of the last successful sync.")).(prometheus.Gauge)
	m.dropsLogged = reg(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "nftpolicy_drops_logged_total",
		Help: "Dropped packets the agent read from the kernel's drop log (rate-limited per group chain), by direction.",
	}, []string{"direction"})).(*prometheus.CounterVec)
	m.dropsLost = reg(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nftpolicy_drops_lost_total",
		Help: "Logged drops the kernel could not deliver to the agent (its socket buffer was full).",
	})).(prometheus.Counter)
	m.strictCut = reg(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nftpolicy_strict_flows_cut_total",
		Help: "Conntrack entries of established flows that a policy change denied, deleted by strict mode.",
	})).(prometheus.Counter)
	m.strictErrors = reg(prometheus.NewCounter(prometheus.CounterOpts{
		Name: "nftpolicy_strict_errors_total",
		Help: "Strict-mode passes that could not list or delete conntrack entries (the sync itself succeeded).",
	})).(prometheus.Counter)
	if err != nil {
		return nil, err
	}
	for _, k := range []string{errList, errBuild, errRead, errDataplane} {
		m.errors.WithLabelValues(k)
	}
	return m, nil
}

func gauge(name, help string) prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
}

// register registers c, or returns the collector an earlier manager of this process registered under the same
// name (an agent restarted in-process keeps counting on the same series).
func register(r prometheus.Registerer, c prometheus.Collector) (prometheus.Collector, error) {
	err := r.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		return are.ExistingCollector, nil
	}
	return c, fmt.Errorf("register metric: %w", err)
}

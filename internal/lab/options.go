package lab

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/labnet"
)

// Options are the flags of `nftpolicy lab`.
type Options struct {
	Files        []string        // -f: one scenario per file or directory; none: the built-in demo
	Topology     labnet.Topology // --topology
	Once         bool            // --once
	Output       string          // -o: text or json (--once only)
	Ports        []uint16        // --ports: probe these on every endpoint instead of the declared ports
	Protocols    []labnet.Proto  // --protocols, with --ports
	Externals    []netip.Addr    // --external
	PodCIDRs     []netip.Prefix  // --pod-cidr
	ProbeTimeout time.Duration   // --probe-timeout
	Kubeconfig   string          // --kubeconfig: where to write the lab's kubeconfig
	Assets       string          // --assets: directory with kube-apiserver and etcd
	StateRoot    string          // where labs keep their state (labnet.Config.StateRoot)
	Cleanup      bool            // --cleanup
	Verbose      bool            // -v: agent and API server logs to stderr

	// Hooks are for tests only.
	Hooks Hooks
}

// Hooks let tests interfere with a lab run.
type Hooks struct {
	// AfterSync, when set, runs after the agent has synced a scenario and before it is probed, with the path of
	// the lab node's network namespace: a test loads a wrong ruleset there to prove mismatches are reported.
	AfterSync func(nodeNetns string) error
}

// DefaultStateRoot is where labs keep their state: kubeconfig, pid, the API server's data.
const DefaultStateRoot = "/run/nftpolicy-lab"

// Usage is the help text of `nftpolicy lab`.
const Usage = `Usage: nftpolicy lab [-f FILE|DIR ...] [flags]      (as root)

Runs a one-machine cluster: an API server, one node, every Pod of the manifests in a network namespace of its
own with listeners on its container ports, and the nftpolicy agent enforcing NetworkPolicy and
ClusterNetworkPolicy on the node with nftables. It probes every pair of pods with real packets and shows the
connectivity matrix, the verdict our evaluator expects beside the one observed. Without -f it runs the built-in demo (examples/lab/demo.yaml).

Live (default): writes a kubeconfig; change policies with kubectl and watch the matrix follow. Ctrl-C ends it.
--once: applies each -f scenario in turn (its objects removed before the next), probes, prints every probe and
  "N passed, M failed"; exits 1 when M > 0 (M: probes whose observed verdict is not the expected one).

Examples:
  nftpolicy lab                                      # the demo, live
  nftpolicy lab -f policies/ --topology routed       # your manifests on routed veths (Calico/ptp-like)
  nftpolicy lab -f examples/clusternetworkpolicy/    # Admin and Baseline tiers around NetworkPolicy
  nftpolicy lab --once -o json -f a.yaml -f b/ --external 203.0.113.7 --ports 80,443 --protocols TCP
  nftpolicy lab --cleanup                            # remove what a crashed lab left behind

Flags:
`

// Bind registers the flags on fs.
func (o *Options) Bind(fs *flag.FlagSet) {
	fs.Func("f", "manifest file or directory: one scenario each (repeatable; default: the built-in demo)",
		func(v string) error { o.Files = append(o.Files, v); return nil })
	fs.Func("topology", `how pods are wired to the node: "bridge" (bridge + br_netfilter, default) or "routed"`,
		func(v string) error {
			switch t := labnet.Topology(v); t {
			case labnet.Bridge, labnet.Routed:
				o.Topology = t
				return nil
			}
			return fmt.Errorf("want bridge or routed, got %q", v)
		})
	fs.BoolVar(&o.Once, "once", false, "apply the scenarios, probe, print the results and exit (1 if any mismatch)")
	fs.StringVar(&o.Output, "o", "text", `output of --once: "text" or "json" (one object per probe, then a summary line)`)
	fs.Func("ports", "probe these ports (comma-separated) on every pod instead of its container ports",
		func(v string) error { return o.parsePorts(v) })
	fs.Func("protocols", "protocols of --ports: TCP, UDP, SCTP (comma-separated; default TCP)",
		func(v string) error { return o.parseProtocols(v) })
	fs.Func("external", "add a host outside the cluster at this IP, reachable from and reaching pods (repeatable)",
		func(v string) error {
			a, err := netip.ParseAddr(v)
			if err != nil || a.Zone() != "" {
				return fmt.Errorf("not an IP address: %q", v)
			}
			o.Externals = append(o.Externals, a.Unmap())
			return nil
		})
	fs.Func("pod-cidr", "allocate pod addresses from this CIDR, one per family (repeatable; default 10.244.0.0/16)",
		func(v string) error {
			p, err := netip.ParsePrefix(v)
			if err != nil {
				return fmt.Errorf("not a CIDR: %q", v)
			}
			o.PodCIDRs = append(o.PodCIDRs, p.Masked())
			return nil
		})
	fs.DurationVar(&o.ProbeTimeout, "probe-timeout", time.Second, "a probe with no answer within this is a deny")
	fs.StringVar(&o.Kubeconfig, "kubeconfig", DefaultStateRoot+"/kubeconfig", "write the lab's kubeconfig here")
	fs.StringVar(&o.Assets, "assets", "", "directory holding kube-apiserver and etcd (default $KUBEBUILDER_ASSETS, "+
		"else bin/k8s/... of this repository, built by hack/envtest/build.sh when missing)")
	fs.BoolVar(&o.Cleanup, "cleanup", false, "remove the namespaces, processes and files of labs that crashed, and exit")
	fs.BoolVar(&o.Verbose, "v", false, "show the agent's log on stderr")
}

func (o *Options) parsePorts(v string) error {
	o.Ports = nil
	for f := range strings.SplitSeq(v, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return fmt.Errorf("not a port (1-65535): %q", f)
		}
		if !slices.Contains(o.Ports, uint16(n)) {
			o.Ports = append(o.Ports, uint16(n))
		}
	}
	return nil
}

func (o *Options) parseProtocols(v string) error {
	o.Protocols = nil
	for f := range strings.SplitSeq(v, ",") {
		p := labnet.Proto(strings.ToUpper(strings.TrimSpace(f)))
		switch p {
		case labnet.TCP, labnet.UDP, labnet.SCTP:
		default:
			return fmt.Errorf("not a protocol (TCP, UDP, SCTP): %q", f)
		}
		if !slices.Contains(o.Protocols, p) {
			o.Protocols = append(o.Protocols, p)
		}
	}
	return nil
}

// Complete fills in defaults and checks the combination of flags; errors are usage errors. Calling it twice is
// harmless.
func (o *Options) Complete() error {
	if o.Topology == "" {
		o.Topology = labnet.Bridge
	}
	if o.StateRoot == "" {
		o.StateRoot = DefaultStateRoot
	}
	if len(o.PodCIDRs) == 0 {
		o.PodCIDRs = []netip.Prefix{netip.MustParsePrefix("10.244.0.0/16")}
	}
	var fams [2]int
	for _, p := range o.PodCIDRs {
		i := 0
		if p.Addr().Is6() {
			i = 1
		}
		if fams[i]++; fams[i] > 1 {
			return errors.New("--pod-cidr: at most one CIDR per address family")
		}
		if (p.Addr().Is4() && p.Bits() > 24) || (p.Addr().Is6() && p.Bits() > 64) {
			return fmt.Errorf("--pod-cidr %s: want a /24 or larger for IPv4, a /64 or larger for IPv6", p)
		}
	}
	if len(o.Protocols) > 0 && len(o.Ports) == 0 {
		return errors.New("--protocols needs --ports")
	}
	if len(o.Ports) > 0 && len(o.Protocols) == 0 {
		o.Protocols = []labnet.Proto{labnet.TCP}
	}
	switch o.Output {
	case "text", "json", "":
	default:
		return fmt.Errorf(`-o: want "text" or "json", got %q`, o.Output)
	}
	if o.Output == "json" && !o.Once {
		return errors.New("-o json needs --once")
	}
	switch {
	case o.ProbeTimeout < 0:
		return fmt.Errorf("--probe-timeout must be positive, got %s", o.ProbeTimeout)
	case o.ProbeTimeout > 0 && o.ProbeTimeout < 50*time.Millisecond:
		return fmt.Errorf("--probe-timeout %s is too short to tell a drop from a slow answer; give at least 50ms", o.ProbeTimeout)
	case o.ProbeTimeout == 0:
		o.ProbeTimeout = time.Second
	}
	if o.Output == "" {
		o.Output = "text"
	}
	for i, a := range o.Externals {
		if slices.Contains(o.Externals[:i], a) {
			return fmt.Errorf("--external %s given twice", a)
		}
	}
	return nil
}

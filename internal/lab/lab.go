package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/examples"
	"github.com/nftpolicy/nftpolicy/internal/labnet"
)

// NodeName is the lab node's name: every pod runs there.
const NodeName = "nftpolicy-lab"

// ErrMismatch is returned (wrapped) when an observed verdict differs from the expected one.
var ErrMismatch = errors.New("observed verdicts differ from the expected ones")

// lab is one running lab.
type lab struct {
	o         *Options
	out, log  io.Writer
	term      terminal
	net       *labnet.Net
	api       *apiServer
	c         client.Client
	kubelet   *kubelet
	reps      *reports
	externals []endpoint
	ports     []labnet.Port // --ports × --protocols, nil: each destination's own
	assets    string        // kube-apiserver and etcd

	agentCache      client.Reader // the agent's cache, to know when it has seen the lab's writes
	stopAgent       func() error
	wroteKubeconfig string // removed on exit
}

// Run runs `nftpolicy lab` with o until it is done (--once, --cleanup) or ctx ends; everything it made is removed
// before it returns. Progress and logs go to stderr, the matrix and results to stdout.
func Run(ctx context.Context, o *Options, stdout, stderr io.Writer) (err error) {
	if err := o.Complete(); err != nil {
		return err
	}
	if o.Cleanup {
		return cleanup(o, stdout)
	}
	if os.Geteuid() != 0 {
		return errors.New("nftpolicy lab needs root: it creates network namespaces and programs nftables in them " +
			"(it never changes this machine's own network namespace); try: sudo make lab")
	}
	scs, err := loadScenarios(o.Files, o.Once)
	if err != nil {
		return err
	}
	exts := o.Externals
	if len(o.Files) == 0 && len(exts) == 0 {
		for _, s := range examples.LabDemoExternals {
			exts = append(exts, netip.MustParseAddr(s))
		}
	}
	if err := checkExternals(exts, scs); err != nil {
		return err
	}
	if o.Topology == labnet.Bridge {
		if err := checkBridgeAddrs(scs); err != nil {
			return err
		}
	}
	assets, err := findAssets(ctx, o.Assets, stderr)
	if err != nil {
		return err
	}
	l := &lab{o: o, out: stdout, log: stderr, term: detectTerminal(stdout), reps: newReports(), assets: assets}
	for _, p := range o.Ports {
		for _, proto := range o.Protocols {
			l.ports = append(l.ports, labnet.Port{Proto: proto, Number: p})
		}
	}
	sortPorts(l.ports)
	defer func() {
		if cerr := l.teardown(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	t0 := time.Now()
	if err := l.start(ctx, exts, scs); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "lab: node %s (%s topology, netns %s) and API server up in %s\n", NodeName, o.Topology,
		l.net.NodeNetnsPath(), time.Since(t0).Round(time.Millisecond))
	if o.Once {
		return l.runOnce(ctx, scs)
	}
	return l.runLive(ctx, scs[0], t0)
}

// start makes the node, the API server, the external hosts and the agent.
func (l *lab) start(ctx context.Context, exts []netip.Addr, scs []*scenario) error {
	var err error
	if l.net, err = labnet.New(labnet.Config{Topology: l.o.Topology, ProbeTimeout: l.o.ProbeTimeout, StateRoot: l.o.StateRoot}); err != nil {
		return fmt.Errorf("lab node: %w", err)
	}
	logw := io.Discard
	if l.o.Verbose {
		logw = l.log
	}
	agentLog.Do(func() {
		if l.o.Verbose {
			ctrl.SetLogger(zap.New(zap.WriteTo(l.log)))
		} else {
			ctrl.SetLogger(logr.Discard())
		}
	})
	if l.api, err = startAPIServer(l.assets, l.net.StateDir(), logw); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := cnpv1beta1.Install(scheme); err != nil {
		return err
	}
	if l.c, err = client.New(l.api.cfg, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("client of the lab's API server: %w", err)
	}
	if err := l.createNode(ctx); err != nil {
		return err
	}
	l.kubelet = newKubelet(l.c, l.net, NodeName, l.o.PodCIDRs, l.ports, exts)
	extPorts := l.ports
	if extPorts == nil {
		extPorts = unionPorts(scs)
	}
	for _, a := range exts {
		if err := l.net.AddExternal(a, extPorts); err != nil {
			return fmt.Errorf("external host %s: %w", a, err)
		}
		l.externals = append(l.externals, endpoint{name: a.String(), ips: []netip.Addr{a}, ports: extPorts, external: true})
	}
	return l.startAgent(ctx)
}

func (l *lab) createNode(ctx context.Context) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: NodeName, Labels: map[string]string{"kubernetes.io/hostname": NodeName}}}
	if err := l.c.Create(ctx, n); err != nil {
		return fmt.Errorf("create Node %s: %w", NodeName, err)
	}
	for _, a := range l.net.NodeIPs() {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a.String()})
	}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
		LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
	if err := l.c.Status().Update(ctx, n); err != nil {
		return fmt.Errorf("status of Node %s: %w", NodeName, err)
	}
	return nil
}

// agentLog sets controller-runtime's logger once per process (tests run several labs).
var agentLog sync.Once

// startAgent runs the agent of controllers, as `nftpolicy agent --node-name nftpolicy-lab --netns ...` would.
func (l *lab) startAgent(ctx context.Context) error {
	agent, err := controllers.New(l.api.cfg, controllers.Options{
		NodeName: NodeName, NetnsPath: l.net.NodeNetnsPath(), OnSync: l.reps.onSync,
	})
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	l.agentCache = agent.GetCache()
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan error, 1)
	go func() { done <- agent.Start(actx) }()
	l.stopAgent = func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			return errors.New("the agent did not stop within 30s")
		}
	}
	return nil
}

// teardown stops the agent and the API server and removes the namespaces and the state directory.
func (l *lab) teardown() error {
	var errs []error
	if l.stopAgent != nil {
		if err := l.stopAgent(); err != nil {
			errs = append(errs, fmt.Errorf("stop the agent: %w", err))
		}
	}
	if l.api != nil {
		errs = append(errs, l.api.stop())
	}
	if l.net != nil {
		errs = append(errs, l.net.Close())
	}
	// The kubeconfig goes only while it is still ours: a second lab may have written its own since.
	if l.wroteKubeconfig != "" {
		if b, err := os.ReadFile(l.wroteKubeconfig); err == nil && bytes.Equal(b, append([]byte(kubeconfigMarker), l.api.kubeconfig...)) {
			errs = append(errs, os.Remove(l.wroteKubeconfig))
		}
	}
	return errors.Join(errs...)
}

// checkExternals rejects external hosts that are a pod's address.
func checkExternals(exts []netip.Addr, scs []*scenario) error {
	for _, s := range scs {
		for key, ips := range s.ips {
			for _, a := range ips {
				if slices.Contains(exts, a) {
					return fmt.Errorf("scenario %s: pod %s has address %s, which is also an --external host", s.name, key, a)
				}
			}
		}
	}
	return nil
}

// unionPorts are the ports any pod of the scenarios declares: what external hosts listen on.
func unionPorts(scs []*scenario) []labnet.Port {
	var out []labnet.Port
	for _, s := range scs {
		for _, p := range s.objs.Pods {
			for _, pt := range podPorts(p) {
				if !slices.Contains(out, pt) {
					out = append(out, pt)
				}
			}
		}
	}
	sortPorts(out)
	return out
}

// cleanup removes what crashed labs left, and the shared kubeconfig once no lab is left to use it.
func cleanup(o *Options, w io.Writer) error {
	err := labnet.Cleanup(o.StateRoot, w)
	if live, _ := filepath.Glob(filepath.Join(o.StateRoot, "nftp-lab-*")); len(live) == 0 && labKubeconfig(o.Kubeconfig) {
		if rerr := os.Remove(o.Kubeconfig); rerr == nil {
			fmt.Fprintf(w, "removed %s\n", o.Kubeconfig)
		} else if !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// checkBridgeAddrs rejects, before anything starts, pod addresses the bridge topology keeps for itself: the
// network, gateway (.1, ::1) and IPv4 broadcast addresses of the pod's /24 or /64.
func checkBridgeAddrs(scs []*scenario) error {
	for _, s := range scs {
		for _, key := range sortedKeys(s.ips) {
			for _, a := range s.ips[key] {
				b := a.As16()
				host := b[15] // IPv4 addresses are mapped into the last 4 bytes
				reserved := host == 0 || host == 1 || (a.Is4() && host == 255)
				if a.Is6() {
					reserved = [8]byte(b[8:]) == [8]byte{} || [8]byte(b[8:]) == [8]byte{7: 1}
				}
				if reserved {
					return fmt.Errorf("scenario %s: %sPod %s: status.podIPs: %s is a network, gateway or broadcast "+
						"address in the bridge topology (the node's bridge takes .1 of each /24, ::1 of each /64); "+
						"use --topology routed for such addresses", s.name, s.where("Pod", key), key, a)
				}
			}
		}
	}
	return nil
}

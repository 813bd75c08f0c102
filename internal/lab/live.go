package lab

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/lab/view"
)

// pollInterval is how often the live lab looks for changes in the API server.
const pollInterval = 300 * time.Millisecond

// runLive applies the scenario, shows the matrix, and re-probes after every change to Pods, Namespaces, Nodes,
// NetworkPolicies or ClusterNetworkPolicies until ctx ends.
func (l *lab) runLive(ctx context.Context, sc *scenario, t0 time.Time) error {
	if err := l.api.writeKubeconfig(l.o.Kubeconfig); err != nil {
		return err
	}
	l.wroteKubeconfig = l.o.Kubeconfig
	run, err := l.runScenario(ctx, sc)
	if err != nil {
		return fmt.Errorf("scenario %s: %w", sc.name, err)
	}
	ready := time.Since(t0)
	if err := l.show(run, true); err != nil {
		return err
	}
	fmt.Fprintf(l.log, "lab: ready %s after start (%s)\n", ready.Round(time.Millisecond), run.timings())
	last, err := l.fingerprint(ctx)
	if err != nil {
		return err
	}
	for {
		if err := sleepCtx(ctx, pollInterval); err != nil {
			return nil // Ctrl-C: a normal end
		}
		fp, err := l.fingerprint(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if fp == last {
			continue
		}
		last = fp
		t1 := time.Now()
		if err := l.kubelet.sync(ctx); err != nil {
			return err
		}
		run, err := l.probeCurrent(ctx, t1)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			fmt.Fprintf(l.log, "lab: %v\n", err)
			continue
		}
		run.name = sc.name
		if err := l.show(run, true); err != nil {
			return err
		}
	}
}

// fingerprint identifies what users change in the objects the lab watches — not what the lab itself writes
// (pod status, binding), so that its own writes do not look like a change.
func (l *lab) fingerprint(ctx context.Context) (string, error) {
	var b strings.Builder
	var nss corev1.NamespaceList
	var pods corev1.PodList
	var pols networkingv1.NetworkPolicyList
	if err := l.c.List(ctx, &nss); err != nil {
		return "", fmt.Errorf("list namespaces: %w", err)
	}
	for _, o := range nss.Items {
		// Of the annotations only audit mode's changes what the agent does.
		fmt.Fprintf(&b, "ns %s %s %v %q %v\n", o.Name, o.UID, o.Labels, o.Annotations[ir.AuditAnnotation],
			o.DeletionTimestamp != nil)
	}
	if err := l.c.List(ctx, &pods); err != nil {
		return "", fmt.Errorf("list pods: %w", err)
	}
	for _, o := range pods.Items {
		fmt.Fprintf(&b, "pod %s/%s %s %v %v %v %v\n", o.Namespace, o.Name, o.UID, o.Labels, o.DeletionTimestamp != nil,
			o.Spec.HostNetwork, podPorts(&o))
	}
	if err := l.c.List(ctx, &pols); err != nil {
		return "", fmt.Errorf("list networkpolicies: %w", err)
	}
	for _, o := range pols.Items {
		fmt.Fprintf(&b, "netpol %s/%s %s\n", o.Namespace, o.Name, o.ResourceVersion)
	}
	var cnps cnpv1beta1.ClusterNetworkPolicyList
	if err := l.c.List(ctx, &cnps); err != nil {
		return "", fmt.Errorf("list clusternetworkpolicies: %w", err)
	}
	for _, o := range cnps.Items {
		fmt.Fprintf(&b, "cnp %s %s\n", o.Name, o.ResourceVersion)
	}
	// Of a Node, its labels and addresses are what nodes peers read (its status also carries heartbeats).
	var nodes corev1.NodeList
	if err := l.c.List(ctx, &nodes); err != nil {
		return "", fmt.Errorf("list nodes: %w", err)
	}
	for _, o := range nodes.Items {
		fmt.Fprintf(&b, "node %s %v %v\n", o.Name, o.Labels, o.Status.Addresses)
	}
	return b.String(), nil
}

// show prints one scenario's matrix; live, on a terminal, it redraws the screen.
func (l *lab) show(run *scenarioRun, live bool) error {
	o := view.Options{Color: l.term.color, Width: l.term.width,
		Title: fmt.Sprintf("%s · %d pods · %d external hosts · %s · %s topology", run.name, run.pods,
			len(l.externals), run.st.policyCount(), l.o.Topology)}
	var b strings.Builder
	if live && l.term.tty {
		b.WriteString(view.ClearScreen(o))
	}
	if err := view.Matrix(&b, run.results, o); err != nil {
		return err
	}
	b.WriteString(view.Summary(run.results, run.probed, o) + "\n")
	b.WriteString(view.ClusterRules(run.results, o))
	for _, e := range slices.Sorted(slices.Values(run.st.excluded)) {
		fmt.Fprintf(&b, "not enforced (the agent sets it aside): %s\n", e)
	}
	if live {
		example := "POLICY.yaml"
		if run.name == demoName {
			example = "examples/lab/allow-debug.yaml"
		}
		fmt.Fprintf(&b, "\nchange the cluster:  kubectl --kubeconfig %s apply -f %s\n", l.o.Kubeconfig, example)
		fmt.Fprintf(&b, "agent synced %s after the change · watching for changes · Ctrl-C ends the lab and removes everything\n",
			(run.applied + run.synced).Round(time.Millisecond))
	}
	_, err := fmt.Fprint(l.out, b.String())
	return err
}

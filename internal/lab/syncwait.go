package lab

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/nft"
)

// syncTimeout bounds the wait for the agent after a change.
const syncTimeout = 30 * time.Second

// quiet is how long the agent must have reported nothing new, once its cache holds every object the API server
// does, before a table reported earlier counts as the one in force (see waitSynced).
const quiet = 300 * time.Millisecond

// reports keeps the agent's latest sync reports (controllers.Options.OnSync) for waitSynced.
type reports struct {
	mu        sync.Mutex
	table     *nft.Table // in force after the last successful sync
	lastErr   error      // of the last attempt
	lastStart time.Time  // when the last attempt started
	lastAt    time.Time  // when it was reported
	changed   chan struct{}
}

func newReports() *reports { return &reports{changed: make(chan struct{}, 1)} }

// onSync is the agent's OnSync: it must not block.
func (r *reports) onSync(rep controllers.Report) {
	r.mu.Lock()
	if rep.Err == nil {
		r.table = rep.Table
	}
	r.lastErr, r.lastStart, r.lastAt = rep.Err, rep.Start, time.Now()
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitSynced waits until the agent holds want, given that its cache held everything the API server does at
// caughtUp. Every event makes the agent sync after its cache has taken the event in, so the sync of the last
// change starts after the cache had it: either it is reported after caughtUp (its table counts), or it was
// reported before, and then nothing is reported for a while after caughtUp (quiet) — a table equal to want from
// before a change that compiles to the same table is not taken while a sync of a half-seen state may still run.
func (r *reports) waitSynced(ctx context.Context, want *nft.Table, caughtUp time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for {
		r.mu.Lock()
		tab, lastErr, lastStart, lastAt := r.table, r.lastErr, r.lastStart, r.lastAt
		r.mu.Unlock()
		if tab != nil && lastErr == nil && nft.Diff(tab, want).Empty() &&
			(lastStart.After(caughtUp) || time.Since(later(lastAt, caughtUp)) >= quiet) {
			return nil
		}
		select {
		case <-r.changed:
		case <-time.After(quiet / 4):
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				if lastErr != nil {
					return fmt.Errorf("the agent did not apply the ruleset within %s; its last sync failed: %w", syncTimeout, lastErr)
				}
				return fmt.Errorf("the agent did not apply the ruleset the objects call for within %s", syncTimeout)
			}
			return ctx.Err()
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// waitCaughtUp waits until the agent's cache holds every object of the API server the builder reads (see
// versions) at the same resourceVersion, and returns when it saw that.
func waitCaughtUp(ctx context.Context, api, cache client.Reader) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for {
		want, err := versions(ctx, api)
		if err != nil {
			return time.Time{}, err
		}
		have, err := versions(ctx, cache)
		if err == nil && maps.Equal(want, have) {
			return time.Now(), nil
		}
		if err := sleepCtx(ctx, 10*time.Millisecond); err != nil {
			return time.Time{}, fmt.Errorf("the agent's cache did not catch up with the API server within %s", syncTimeout)
		}
	}
}

// versions maps every Namespace, Pod, NetworkPolicy, ClusterNetworkPolicy and Node to its resourceVersion.
func versions(ctx context.Context, r client.Reader) (map[string]string, error) {
	out := map[string]string{}
	var nss corev1.NamespaceList
	var pods corev1.PodList
	var pols networkingv1.NetworkPolicyList
	var cnps cnpv1beta1.ClusterNetworkPolicyList
	var nodes corev1.NodeList
	for _, l := range []client.ObjectList{&nss, &pods, &pols, &cnps, &nodes} {
		if err := r.List(ctx, l); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
	}
	for _, o := range cnps.Items {
		out["cnp "+o.Name] = o.ResourceVersion
	}
	for _, o := range nodes.Items {
		out["node "+o.Name] = o.ResourceVersion
	}
	for _, o := range nss.Items {
		out["ns "+o.Name] = o.ResourceVersion
	}
	for _, o := range pods.Items {
		out["pod "+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	for _, o := range pols.Items {
		out["netpol "+o.Namespace+"/"+o.Name] = o.ResourceVersion
	}
	return out, nil
}

// state is what the API server holds, as the lab reads it: the IR of the lab node and the table the agent
// should hold for it.
type state struct {
	node     *ir.Node
	table    *nft.Table
	excluded []string // policies the agent sets aside, with the reason
	// policies and clusterPolicies count the NetworkPolicies and ClusterNetworkPolicies in force.
	policies, clusterPolicies int
}

// policyCount says how many policies are in force: "3 policies", with "· 2 cluster policies" when there are.
func (s *state) policyCount() string {
	out := fmt.Sprintf("%d policies", s.policies)
	if s.clusterPolicies > 0 {
		out += fmt.Sprintf(" · %d cluster policies", s.clusterPolicies)
	}
	return out
}

// desired lists the API server (uncached) and builds what the agent should enforce: the same filter, builder and
// compiler as the agent.
func desired(ctx context.Context, c client.Reader, node string) (*state, error) {
	var nss corev1.NamespaceList
	var pods corev1.PodList
	var pols networkingv1.NetworkPolicyList
	var cnps cnpv1beta1.ClusterNetworkPolicyList
	var nodes corev1.NodeList
	for _, l := range []client.ObjectList{&nss, &pods, &pols, &cnps, &nodes} {
		if err := c.List(ctx, l); err != nil {
			return nil, fmt.Errorf("list from the API server: %w", err)
		}
	}
	cl := build.Cluster{}
	for i := range nss.Items {
		cl.Namespaces = append(cl.Namespaces, &nss.Items[i])
	}
	for i := range pods.Items {
		cl.Pods = append(cl.Pods, &pods.Items[i])
	}
	for i := range nodes.Items {
		cl.Nodes = append(cl.Nodes, &nodes.Items[i])
	}
	st := &state{}
	for i := range cnps.Items {
		p := &cnps.Items[i]
		if err := build.ValidateCluster(p); err != nil {
			st.excluded = append(st.excluded, fmt.Sprintf("%s: %v", p.Name, err))
			continue
		}
		cl.ClusterPolicies = append(cl.ClusterPolicies, p)
	}
	st.clusterPolicies = len(cl.ClusterPolicies)
	for i := range pols.Items {
		p := &pols.Items[i]
		if err := build.Validate(p); err != nil {
			st.excluded = append(st.excluded, fmt.Sprintf("%s/%s: %v", p.Namespace, p.Name, err))
			continue
		}
		cl.Policies = append(cl.Policies, p)
	}
	st.policies = len(cl.Policies)
	n, err := build.Node(cl, node)
	if err != nil {
		return nil, fmt.Errorf("build the IR of node %s: %w", node, err)
	}
	st.node, st.table = n, compiler.Compile(n)
	return st, nil
}

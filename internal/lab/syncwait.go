package lab

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/nft"
)

// syncTimeout bounds the wait for the agent after a change.
const syncTimeout = 30 * time.Second

// reports keeps the agent's latest sync reports (controllers.Options.OnSync) for waitSynced.
type reports struct {
	mu      sync.Mutex
	table   *nft.Table // in force after the last successful sync
	lastErr error      // of the last attempt
	changed chan struct{}
}

func newReports() *reports { return &reports{changed: make(chan struct{}, 1)} }

// onSync is the agent's OnSync: it must not block.
func (r *reports) onSync(rep controllers.Report) {
	r.mu.Lock()
	if rep.Err == nil {
		r.table = rep.Table
	}
	r.lastErr = rep.Err
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// waitSynced waits until the agent's table is want.
func (r *reports) waitSynced(ctx context.Context, want *nft.Table) error {
	ctx, cancel := context.WithTimeout(ctx, syncTimeout)
	defer cancel()
	for {
		r.mu.Lock()
		tab, lastErr := r.table, r.lastErr
		r.mu.Unlock()
		if tab != nil && nft.Diff(tab, want).Empty() {
			return nil
		}
		select {
		case <-r.changed:
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

// state is what the API server holds, as the lab reads it: the IR of the lab node and the table the agent
// should hold for it.
type state struct {
	node     *ir.Node
	table    *nft.Table
	excluded []string // policies the agent sets aside, with the reason
	policies int
}

// desired lists the API server (uncached) and builds what the agent should enforce: the same filter, builder and
// compiler as the agent.
func desired(ctx context.Context, c client.Reader, node string) (*state, error) {
	var nss corev1.NamespaceList
	var pods corev1.PodList
	var pols networkingv1.NetworkPolicyList
	for _, l := range []client.ObjectList{&nss, &pods, &pols} {
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
	st := &state{}
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

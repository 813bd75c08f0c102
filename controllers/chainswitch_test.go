package controllers

import (
	"context"
	"testing"

	informertest "sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/nftpolicy/nftpolicy/nft"
)

// hookedDataplane calls before at the start of every Sync: what the rest of the agent sees while a batch is on
// its way to the kernel.
type hookedDataplane struct {
	*fakeDataplane
	before func()
}

func (h hookedDataplane) Sync(t *nft.Table) (*nft.Plan, error) {
	h.before()
	return h.fakeDataplane.Sync(t)
}

// The kernel can log a drop from a chain the moment the batch that makes it commits, before the sync returns:
// the drop log and the counters must know the new chains from before the batch is sent, or that drop is thrown
// away as coming from an unknown chain (test/agent's ClusterNetworkPolicy spec lost every logged drop this way).
func TestChainIndexKnowsNewChainsDuringTheBatch(t *testing.T) {
	scheme := newScheme(t)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(cluster()...).Build()
	var s *NodeSync
	var during *chainIndex
	dp := hookedDataplane{fakeDataplane: &fakeDataplane{}, before: func() { during = s.chains.Load() }}
	var err error
	s, err = NewNodeSync(NodeSyncConfig{NodeName: testNode, Informers: &informertest.FakeInformers{Scheme: scheme},
		Dataplane: dp, Reader: c})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Reconcile(ctx, reconcile.Request{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, allowFrom("allow-more", "web", "other")); err != nil {
		t.Fatal(err)
	}
	s.burst.mark()
	if _, err := s.Reconcile(ctx, reconcile.Request{}); err != nil {
		t.Fatal(err)
	}
	after := s.chains.Load()
	if during == nil || after == nil || len(*after) == 0 {
		t.Fatalf("index during the batch %v, after %v", during, after)
	}
	for name := range *after {
		if _, ok := (*during)[name]; !ok {
			t.Errorf("chain %s is in force after the sync but was unknown while its batch was applied", name)
		}
	}
}

package controllers

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
	"github.com/nftpolicy/nftpolicy/nft"
)

// TestStatusOnAPIServer runs the agent on a fake dataplane against a real API server with the CRD installed, and
// reads the node's NodePolicyStatus: created after the first sync (owned by the Node), updated by a policy
// change, not rewritten by a sync that changes nothing, Synced=False with lastError while the dataplane fails,
// Synced=True again on recovery with lastError kept.
func TestStatusOnAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (~10 s)")
	}
	env := &envtest.Environment{BinaryAssetsDirectory: envtestAssets(t),
		CRDDirectoryPaths: []string{filepath.Join("..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() { env.Stop() })

	dp := &fakeDataplane{}
	var syncs atomic.Int64
	agent, err := New(cfg, Options{NodeName: testNode, Dataplane: dp, VerifyInterval: -1,
		Registerer: prometheus.NewRegistry(), OnSync: func(Report) { syncs.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: agent.GetScheme()})
	if err != nil {
		t.Fatal(err)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: testNode}}
	if err := c.Create(context.Background(), node); err != nil {
		t.Fatal(err)
	}
	objs := cluster()
	for _, o := range objs {
		create(t, c, o)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Start(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()

	get := func() (*v1alpha1.NodePolicyStatus, error) {
		nps := &v1alpha1.NodePolicyStatus{}
		return nps, c.Get(context.Background(), client.ObjectKey{Name: testNode}, nps)
	}
	// holds checks that the status describes table want, enforcing policies and isolating pods, and what the
	// Synced condition says.
	holds := func(want *nft.Table, policies, pods []string, synced metav1.ConditionStatus) func() error {
		return func() error {
			nps, err := get()
			if err != nil {
				return err
			}
			st := nps.Status
			ts := statsOfTable(want)
			wantSum := v1alpha1.RulesetSummary{Hash: v1alpha1.RulesetHash([]byte(want.Text())),
				Chains: int32(len(want.Chains)), Rules: int32(ts.Rules), Sets: int32(ts.Sets), Elements: int32(ts.Elements)}
			cond := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionSynced)
			switch {
			case st.Ruleset != wantSum:
				return fmt.Errorf("ruleset %+v, want %+v", st.Ruleset, wantSum)
			case refNames(st.Policies) != strings.Join(policies, ",") || int(st.PolicyCount) != len(policies):
				return fmt.Errorf("policies %d %v, want %v", st.PolicyCount, st.Policies, policies)
			case refNames(st.Pods) != strings.Join(pods, ",") || int(st.PodCount) != len(pods):
				return fmt.Errorf("pods %d %v, want %v", st.PodCount, st.Pods, pods)
			case cond == nil || cond.Status != synced:
				return fmt.Errorf("Synced condition %+v, want %s", cond, synced)
			case st.LastSyncTime == nil || st.LastSyncDuration == nil:
				return fmt.Errorf("no last sync time or duration")
			}
			return nil
		}
	}

	want := compileFor(t, objs)
	eventually(t, 15*time.Second, "status after the first sync", holds(want, []string{"x/allow-client"},
		[]string{"x/web"}, metav1.ConditionTrue))
	nps, err := get()
	if err != nil {
		t.Fatal(err)
	}
	if refs := nps.OwnerReferences; len(refs) != 1 || refs[0].Kind != "Node" || refs[0].UID != node.UID {
		t.Errorf("owner references %+v, want the Node %s (%s)", refs, node.Name, node.UID)
	}
	cond := meta.FindStatusCondition(nps.Status.Conditions, v1alpha1.ConditionSynced)
	if cond.Message != "" || cond.Reason != v1alpha1.ReasonRulesetInForce || nps.Status.LastError != nil {
		t.Errorf("after a success: condition %+v, lastError %+v", cond, nps.Status.LastError)
	}

	// A policy change: web also admits role=other.
	more := allowFrom("allow-other", "web", "other")
	create(t, c, more)
	objs = append(objs, more)
	want = compileFor(t, objs)
	eventually(t, 15*time.Second, "status after a policy change", holds(want,
		[]string{"x/allow-client", "x/allow-other"}, []string{"x/web"}, metav1.ConditionTrue))

	// A sync that changes nothing but the time is not written.
	time.Sleep(2 * statusMinInterval) // let any write in flight land
	before, err := get()
	if err != nil {
		t.Fatal(err)
	}
	n := syncs.Load()
	create(t, c, pod("other", "node-b", "10.244.2.99", map[string]string{"app": "unrelated"}))
	eventually(t, 10*time.Second, "a sync for the unrelated pod", func() error {
		if syncs.Load() == n {
			return errString("no sync yet")
		}
		return nil
	})
	time.Sleep(2 * statusMinInterval)
	if after, err := get(); err != nil || after.ResourceVersion != before.ResourceVersion {
		t.Errorf("a sync that changed nothing rewrote the status (resourceVersion %s → %s, %v)",
			before.ResourceVersion, after.ResourceVersion, err)
	}

	// The dataplane fails: Synced=False with the error, the previous ruleset still described.
	setFailSyncs(dp, 1<<30)
	third := allowFrom("allow-more", "web", "more")
	create(t, c, third)
	eventually(t, 15*time.Second, "status while the dataplane fails", func() error {
		nps, err := get()
		if err != nil {
			return err
		}
		cond := meta.FindStatusCondition(nps.Status.Conditions, v1alpha1.ConditionSynced)
		switch {
		case cond == nil || cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonApplyFailed ||
			!strings.Contains(cond.Message, errInjected.Error()):
			return fmt.Errorf("Synced condition %+v", cond)
		case nps.Status.LastError == nil || !strings.Contains(nps.Status.LastError.Message, errInjected.Error()):
			return fmt.Errorf("lastError %+v", nps.Status.LastError)
		}
		return nil
	})
	if err := holds(want, []string{"x/allow-client", "x/allow-other"}, []string{"x/web"},
		metav1.ConditionFalse)(); err != nil {
		t.Errorf("while failing, the status should still describe the ruleset in force: %v", err)
	}

	// Recovery: Synced=True, the new ruleset, and lastError kept.
	setFailSyncs(dp, 0)
	objs = append(objs, third)
	want = compileFor(t, objs)
	eventually(t, 40*time.Second, "status after recovery", holds(want,
		[]string{"x/allow-client", "x/allow-more", "x/allow-other"}, []string{"x/web"}, metav1.ConditionTrue))
	nps, err = get()
	if err != nil {
		t.Fatal(err)
	}
	cond = meta.FindStatusCondition(nps.Status.Conditions, v1alpha1.ConditionSynced)
	if cond.Message != "" || cond.Reason != v1alpha1.ReasonRulesetInForce {
		t.Errorf("after recovery: condition %+v", cond)
	}
	if nps.Status.LastError == nil || !strings.Contains(nps.Status.LastError.Message, errInjected.Error()) {
		t.Errorf("after recovery: lastError %+v, want the failure kept", nps.Status.LastError)
	}
}

func setFailSyncs(dp *fakeDataplane, n int) {
	dp.mu.Lock()
	defer dp.mu.Unlock()
	dp.failSyncs = n
}

func refNames(refs []v1alpha1.ObjectRef) string {
	s := make([]string, len(refs))
	for i, r := range refs {
		s[i] = r.Namespace + "/" + r.Name
	}
	return strings.Join(s, ",")
}

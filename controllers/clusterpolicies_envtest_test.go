package controllers

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// crdFile is a CRD of config/crd/bases.
func crdFile(name string) string { return filepath.Join("..", "config", "crd", "bases", name) }

// TestClusterPoliciesOnAPIServer runs the agent (fake dataplane) against a real API server that does not serve
// ClusterNetworkPolicy at first: it syncs and is ready, enforcing NetworkPolicy. Then the CRD is installed, and
// the agent picks it up at its next look at discovery: a policy created through the API server is in the next
// sync, with the Nodes its nodes peer selects, and follows their address changes; a domainNames field gets a
// PartiallyEnforced Event on the policy and an entry in the NodePolicyStatus (which the CRD's schema admits);
// deleting the policy syncs it away. Last the CRD is removed: the agent stops watching and stays ready.
func TestClusterPoliciesOnAPIServer(t *testing.T) {
	env := &envtest.Environment{BinaryAssetsDirectory: envtestAssets(t),
		CRDInstallOptions: envtest.CRDInstallOptions{Paths: []string{crdFile("nftpolicy.dev_nodepolicystatuses.yaml")},
			ErrorIfPathMissing: true}}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() { env.Stop() })

	var mu sync.Mutex
	var last Report
	agent, err := New(cfg, Options{NodeName: testNode, Dataplane: &fakeDataplane{}, VerifyInterval: -1,
		Registerer: prometheus.NewRegistry(), clusterPolicyRecheck: 300 * time.Millisecond,
		clusterPolicyConfirm: 300 * time.Millisecond,
		OnSync: func(r Report) {
			mu.Lock()
			defer mu.Unlock()
			last = r
		}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: agent.GetScheme()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, o := range append(cluster(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: testNode}}) {
		create(t, c, o)
	}
	nodeB := node("node-b", "b", "192.0.2.2")
	if err := c.Create(ctx, nodeB); err != nil {
		t.Fatal(err)
	}
	setNodeAddress(t, c, nodeB, "192.0.2.2")

	var wg sync.WaitGroup
	wg.Go(func() {
		if err := agent.Start(ctx); err != nil {
			t.Errorf("agent: %v", err)
		}
	})
	defer func() { cancel(); wg.Wait() }()
	synced := func(what string, ok func(Report) error) {
		t.Helper()
		eventually(t, 20*time.Second, what, func() error {
			mu.Lock()
			r := last
			mu.Unlock()
			if r.Node == nil || r.Err != nil {
				return fmt.Errorf("no successful sync yet (%v)", r.Err)
			}
			return ok(r)
		})
	}
	rules := func(want ...string) func(Report) error {
		return func(r Report) error {
			got := append(tierRules(r, ir.Admin), tierRules(r, ir.Baseline)...)
			if !slices.Equal(got, want) {
				return fmt.Errorf("tier rules %q, want %q", got, want)
			}
			return nil
		}
	}
	synced("first sync without the CRD", rules())
	eventually(t, 10*time.Second, "ready without the CRD", agent.Ready)

	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{
		Paths: []string{crdFile("policy.networking.k8s.io_clusternetworkpolicies.yaml")}, ErrorIfPathMissing: true}); err != nil {
		t.Fatal(err)
	}
	p := withDomainNames(denyClientsToWeb("deny-web"))
	nodes := acceptToNodes("to-zone-b", "b")
	create(t, c, p)
	create(t, c, nodes)
	synced("policies enforced once the CRD is installed",
		rules("deny-web Deny 10.244.1.10", "deny-web Accept ", "to-zone-b Accept 192.0.2.2"))

	setNodeAddress(t, c, nodeB, "192.0.2.22")
	synced("node-b's new address", rules("deny-web Deny 10.244.1.10", "deny-web Accept ", "to-zone-b Accept 192.0.2.22"))

	eventually(t, 10*time.Second, "PartiallyEnforced Event on deny-web", func() error {
		var evs eventsv1.EventList
		if err := c.List(ctx, &evs); err != nil {
			return err
		}
		for _, ev := range evs.Items {
			if ev.Regarding.Kind == "ClusterNetworkPolicy" && ev.Regarding.Name == "deny-web" &&
				ev.Reason == ReasonPartiallyEnforced && strings.Contains(ev.Note, "spec.egress[1].to[0].domainNames") {
				return nil
			}
		}
		return fmt.Errorf("none among %d Events", len(evs.Items))
	})
	eventually(t, 10*time.Second, "ClusterNetworkPolicies in the NodePolicyStatus", func() error {
		nps := &v1alpha1.NodePolicyStatus{}
		if err := c.Get(ctx, client.ObjectKey{Name: testNode}, nps); err != nil {
			return err
		}
		st := nps.Status
		want := []v1alpha1.ObjectRef{{Name: "deny-web"}, {Name: "to-zone-b"}, {Namespace: "x", Name: "allow-client"}}
		if !slices.Equal(st.Policies, want) || st.UnenforceablePolicyCount != 1 ||
			st.UnenforceablePolicies[0].Name != "deny-web" || !st.UnenforceablePolicies[0].Partial {
			return fmt.Errorf("policies %v, unenforceable %d %+v", st.Policies, st.UnenforceablePolicyCount,
				st.UnenforceablePolicies)
		}
		return nil
	})

	if err := c.Delete(ctx, p); err != nil {
		t.Fatal(err)
	}
	synced("deny-web deleted", rules("to-zone-b Accept 192.0.2.22"))

	crd := &unstructured.Unstructured{}
	crd.SetAPIVersion("apiextensions.k8s.io/v1")
	crd.SetKind("CustomResourceDefinition")
	crd.SetName("clusternetworkpolicies." + cnp.GroupName)
	if err := c.Delete(ctx, crd); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the CRD gone", func() error {
		err := c.List(ctx, &cnp.ClusterNetworkPolicyList{})
		if err == nil || !(apierrors.IsNotFound(err) || strings.Contains(err.Error(), "no matches for kind")) {
			return fmt.Errorf("list: %v", err)
		}
		return nil
	})
	synced("no ClusterNetworkPolicy once the CRD is gone", rules())
	time.Sleep(time.Second) // several looks at discovery, and relists of a watch that may not have stopped yet
	if err := agent.Ready(); err != nil {
		t.Errorf("not ready after the CRD was removed: %v", err)
	}
}

// setNodeAddress sets n's only address (status) through the API server.
func setNodeAddress(t *testing.T, c client.Client, n *corev1.Node, ip string) {
	t.Helper()
	n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}
	if err := c.Status().Update(context.Background(), n); err != nil {
		t.Fatalf("node %s status: %v", n.Name, err)
	}
}

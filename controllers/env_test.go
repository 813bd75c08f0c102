package controllers

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllertest"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// The sync loop under test runs its real controller (workqueue, one worker, backoff) on fake informers: the
// test changes an object in a fake client (what the loop lists) and fires the matching informer event.
//
// IP plan: node-a hosts pods 10.244.1.0/24, other nodes 10.244.2.0/24; namespace "x".

const testNode = "node-a"

type env struct {
	t         *testing.T
	ctx       context.Context
	client    client.Client
	informers *informertest.FakeInformers
	dp        *fakeDataplane
	recorder  *events.FakeRecorder
	sync      *NodeSync
	reports   chan Report
	stop      func() // stops the controller and waits for it
}

type envOption func(*envConfig)

type envConfig struct {
	verify   time.Duration
	unsynced bool // the Pod informer starts unsynced: call e.informerSynced
	dp       *fakeDataplane
	served   ServedFunc    // nil: the loop does not follow ClusterNetworkPolicy
	recheck  time.Duration // of served
	confirm  time.Duration // spacing of the answers that confirm "not served"
	log      logr.Logger   // the controller's; zero: testr
}

func withVerify(d time.Duration) envOption { return func(c *envConfig) { c.verify = d } }
func withUnsyncedCache() envOption         { return func(c *envConfig) { c.unsynced = true } }
func withDataplane(dp *fakeDataplane) envOption {
	return func(c *envConfig) { c.dp = dp }
}

// withClusterPolicies makes the loop follow ClusterNetworkPolicy, asking served every recheck.
func withClusterPolicies(served ServedFunc, recheck time.Duration) envOption {
	return func(c *envConfig) { c.served, c.recheck = served, recheck }
}

func withLogger(l logr.Logger) envOption { return func(c *envConfig) { c.log = l } }

// withAbsentConfirm spaces the answers confirming that ClusterNetworkPolicy is not served (default 10 ms).
func withAbsentConfirm(d time.Duration) envOption { return func(c *envConfig) { c.confirm = d } }

func newScheme(t *testing.T) *runtime.Scheme {
	s := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(s), cnp.Install(s)); err != nil {
		t.Fatal(err)
	}
	return s
}

// start runs a sync loop for testNode over objs.
func start(t *testing.T, objs []client.Object, opts ...envOption) *env {
	t.Helper()
	cfg := envConfig{verify: -1, dp: &fakeDataplane{}, confirm: 10 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	scheme := newScheme(t)
	e := &env{
		t:         t,
		client:    fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build(),
		informers: &informertest.FakeInformers{Scheme: scheme},
		dp:        cfg.dp,
		recorder:  events.NewFakeRecorder(100),
		reports:   make(chan Report, 1000),
	}
	if cfg.unsynced {
		gvk, _ := e.gvk(&corev1.Pod{})
		e.informers.InformersByGVK = map[schema.GroupVersionKind]toolscache.SharedIndexInformer{gvk: controllertest.NewFakeInformer()}
	}
	// FakeInformers makes an informer on first use in a map without a lock; the controller's sources and the
	// sync loop's snapshot ask for them from different goroutines, so they are all made here, before either runs.
	for _, obj := range watched(true) {
		if _, err := e.informers.FakeInformerFor(context.Background(), obj); err != nil {
			t.Fatal(err)
		}
	}
	s, err := NewNodeSync(NodeSyncConfig{NodeName: testNode, Reader: e.client, Informers: e.informers, Dataplane: e.dp,
		Recorder: e.recorder, VerifyInterval: cfg.verify, OnSync: func(r Report) { e.reports <- r },
		ClusterPolicies: cfg.served, clusterPolicyRecheck: cfg.recheck, clusterPolicyConfirm: cfg.confirm})
	if err != nil {
		t.Fatal(err)
	}
	e.sync = s
	log := cfg.log
	if log.GetSink() == nil {
		log = testr.New(t)
	}
	c, err := s.NewController(e.informers, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.ctx = ctx
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Start(ctx); err != nil {
			t.Errorf("controller: %v", err)
		}
	})
	e.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(e.stop)
	return e
}

func (e *env) gvk(obj client.Object) (schema.GroupVersionKind, error) {
	gvks, _, err := e.informers.Scheme.ObjectKinds(obj)
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	return gvks[0], nil
}

func (e *env) informer(obj client.Object) *controllertest.FakeInformer {
	e.t.Helper()
	fi, err := e.informers.FakeInformerFor(e.ctx, obj)
	if err != nil {
		e.t.Fatal(err)
	}
	return fi
}

// create adds obj to the cluster and fires its Add event.
func (e *env) create(obj client.Object) {
	e.t.Helper()
	if err := e.client.Create(e.ctx, obj); err != nil {
		e.t.Fatal(err)
	}
	e.informer(obj).Add(obj)
}

// update changes obj in the cluster and fires its Update event.
func (e *env) update(obj client.Object, change func()) {
	e.t.Helper()
	old := obj.DeepCopyObject().(client.Object)
	change()
	if err := e.client.Update(e.ctx, obj); err != nil {
		e.t.Fatal(err)
	}
	e.informer(obj).Update(old, obj)
}

// next waits for the next report of a sync attempt.
func (e *env) next() Report {
	e.t.Helper()
	select {
	case r := <-e.reports:
		return r
	case <-time.After(10 * time.Second):
		e.t.Fatal("no sync within 10s")
	}
	return Report{}
}

// quiet asserts that no sync attempt happens for d.
func (e *env) quiet(d time.Duration) {
	e.t.Helper()
	select {
	case r := <-e.reports:
		e.t.Fatalf("unexpected sync: %+v", r)
	case <-time.After(d):
	}
}

// Test fixtures.

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func pod(name, node, ip string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Labels: labels},
		Spec:       corev1.PodSpec{NodeName: node},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip,
			PodIPs: []corev1.PodIP{{IP: ip}}},
	}
}

// allowFrom isolates pods labelled app=<app> for ingress and allows pods labelled role=<from>.
func allowFrom(name, app, from string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Generation: 1},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": app}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"role": from}},
			}}}},
		},
	}
}

// badCIDR is a policy the builder refuses.
func badCIDR(name string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name, Generation: 1},
		Spec: networkingv1.NetworkPolicySpec{
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0/8"},
			}}}},
		},
	}
}

// cluster is a small cluster: namespace x, a server on node-a, clients on node-a and elsewhere, a policy
// letting role=client reach app=web.
func cluster() []client.Object {
	return []client.Object{
		namespace("x", nil),
		pod("web", testNode, "10.244.1.10", map[string]string{"app": "web"}),
		pod("client-a", testNode, "10.244.1.20", map[string]string{"role": "client"}),
		pod("client-b", "node-b", "10.244.2.20", map[string]string{"role": "client"}),
		allowFrom("allow-client", "web", "client"),
	}
}

package controllers

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// ClusterNetworkPolicy fixtures on the cluster of env_test.go (namespace x: web on node-a, client-a on node-a,
// client-b on node-b). Node addresses: 192.0.2.0/24.

// denyClientsToWeb is an Admin policy: pods labelled role=client may not reach pods labelled app=web.
func denyClientsToWeb(name string) *cnp.ClusterNetworkPolicy {
	return &cnp.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec: cnp.ClusterNetworkPolicySpec{
			Tier: cnp.AdminTier, Priority: 10,
			Subject: cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}}},
			Egress: []cnp.ClusterNetworkPolicyEgressRule{{Action: cnp.ClusterNetworkPolicyRuleActionDeny,
				To: []cnp.ClusterNetworkPolicyEgressPeer{{Pods: &cnp.NamespacedPod{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}}}}},
		},
	}
}

// acceptToNodes is a Baseline policy: pods labelled role=client may reach the nodes labelled zone=<zone>.
func acceptToNodes(name, zone string) *cnp.ClusterNetworkPolicy {
	return &cnp.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec: cnp.ClusterNetworkPolicySpec{
			Tier: cnp.BaselineTier, Priority: 5,
			Subject: cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}}},
			Egress: []cnp.ClusterNetworkPolicyEgressRule{{Action: cnp.ClusterNetworkPolicyRuleActionAccept,
				To: []cnp.ClusterNetworkPolicyEgressPeer{{
					Nodes: &metav1.LabelSelector{MatchLabels: map[string]string{"zone": zone}}}}}},
		},
	}
}

// withDomainNames adds an egress Accept rule towards a domain name, which nftpolicy cannot enforce.
func withDomainNames(p *cnp.ClusterNetworkPolicy) *cnp.ClusterNetworkPolicy {
	p.Spec.Egress = append(p.Spec.Egress, cnp.ClusterNetworkPolicyEgressRule{
		Action: cnp.ClusterNetworkPolicyRuleActionAccept,
		To:     []cnp.ClusterNetworkPolicyEgressPeer{{DomainNames: []cnp.DomainName{"*.example.com"}}},
	})
	return p
}

func node(name, zone, ip string) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"zone": zone}},
		Status:     corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: ip}}},
	}
}

// served is a ServedFunc whose answer the test sets; it counts the questions.
type served struct {
	answer atomic.Bool
	err    atomic.Pointer[error]
	asked  atomic.Int64
}

func (s *served) ask(context.Context) (bool, error) {
	s.asked.Add(1)
	if err := s.err.Load(); err != nil {
		return false, *err
	}
	return s.answer.Load(), nil
}

func newServed(answer bool) *served {
	s := &served{}
	s.answer.Store(answer)
	return s
}

// tierRules are the rules of the client-a's egress group (the only local subject of the fixtures) in one tier,
// as "policy action peers".
func tierRules(r Report, tier ir.Tier) []string {
	var out []string
	for _, g := range r.Node.Groups {
		if g.Direction != ir.Egress || !slices.ContainsFunc(g.Members, func(m ir.Member) bool { return m.Pod.Name == "client-a" }) {
			continue
		}
		rules := g.Admin
		if tier == ir.Baseline {
			rules = g.Baseline
		}
		for _, cr := range rules {
			var addrs []string
			for _, a := range cr.Peers.Addrs {
				addrs = append(addrs, a.String())
			}
			out = append(out, cr.Policy+" "+cr.Action.String()+" "+strings.Join(addrs, ","))
		}
	}
	return out
}

// nextWith waits for a sync whose report satisfies ok, failing on a failed sync.
func (e *env) nextWith(what string, ok func(Report) bool) Report {
	e.t.Helper()
	for {
		r := e.next()
		if r.Err != nil {
			e.t.Fatalf("%s: sync failed: %v", what, r.Err)
		}
		if ok(r) {
			return r
		}
	}
}

// remove deletes obj from the cluster and fires its Delete event.
func (e *env) remove(obj client.Object) {
	e.t.Helper()
	if err := e.client.Delete(e.ctx, obj); err != nil {
		e.t.Fatal(err)
	}
	e.informer(obj).Delete(obj)
}

// updateStatus changes obj's status in the cluster and fires its Update event.
func (e *env) updateStatus(obj client.Object, change func()) {
	e.t.Helper()
	old := obj.DeepCopyObject().(client.Object)
	change()
	if err := e.client.Status().Update(e.ctx, obj); err != nil {
		e.t.Fatal(err)
	}
	e.informer(obj).Update(old, obj)
}

// TestClusterPolicyChangesSync: with ClusterNetworkPolicy served, creating, editing and deleting one syncs with
// it in the snapshot (its rules in the IR, the policy among those enforced); a change of its status or
// annotations does not sync.
func TestClusterPolicyChangesSync(t *testing.T) {
	e := start(t, cluster(), withClusterPolicies(newServed(true).ask, time.Hour))
	if r := e.next(); r.Err != nil || len(tierRules(r, ir.Admin)) != 0 {
		t.Fatalf("first sync: %v, Admin rules %v", r.Err, tierRules(r, ir.Admin))
	}
	p := denyClientsToWeb("deny-web")
	e.create(p)
	r := e.nextWith("created", func(r Report) bool { return len(tierRules(r, ir.Admin)) > 0 })
	if got, want := tierRules(r, ir.Admin), []string{"deny-web Deny 10.244.1.10"}; !slices.Equal(got, want) {
		t.Errorf("Admin rules %q, want %q", got, want)
	}
	if !slices.Contains(r.Enforced, ir.PolicyRef{Name: "deny-web"}) {
		t.Errorf("enforced %v lacks ClusterNetworkPolicy deny-web", r.Enforced)
	}

	e.update(p, func() { p.Spec.Egress[0].Action = cnp.ClusterNetworkPolicyRuleActionPass; p.Generation++ })
	e.nextWith("edited", func(r Report) bool {
		return slices.Equal(tierRules(r, ir.Admin), []string{"deny-web Pass 10.244.1.10"})
	})

	e.update(p, func() {
		p.Annotations = map[string]string{"note": "x"}
		p.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "R",
			LastTransitionTime: metav1.Now()}}
	})
	e.quiet(300 * time.Millisecond)

	e.remove(p)
	r = e.nextWith("deleted", func(r Report) bool { return len(tierRules(r, ir.Admin)) == 0 })
	if slices.Contains(r.Enforced, ir.PolicyRef{Name: "deny-web"}) {
		t.Errorf("enforced %v still has deny-web", r.Enforced)
	}
}

// TestNodeChangesSync: a Node's labels and addresses (what a nodes peer selects and matches) sync; the rest of
// its status, which the kubelet rewrites every few minutes, does not.
func TestNodeChangesSync(t *testing.T) {
	objs := append(cluster(), node("node-b", "b", "192.0.2.2"), node("node-c", "c", "192.0.2.3"),
		acceptToNodes("to-zone-b", "b"))
	e := start(t, objs, withClusterPolicies(newServed(true).ask, time.Hour))
	want := func(addrs string) func(Report) bool {
		return func(r Report) bool {
			return slices.Equal(tierRules(r, ir.Baseline), []string{"to-zone-b Accept " + addrs})
		}
	}
	e.nextWith("first sync", want("192.0.2.2"))

	c := &corev1.Node{}
	if err := e.client.Get(e.ctx, client.ObjectKey{Name: "node-c"}, c); err != nil {
		t.Fatal(err)
	}
	e.update(c, func() { c.Labels["zone"] = "b" })
	e.nextWith("node-c relabelled into zone b", want("192.0.2.2,192.0.2.3"))

	e.updateStatus(c, func() { c.Status.Addresses[0].Address = "192.0.2.33" })
	e.nextWith("node-c readdressed", want("192.0.2.2,192.0.2.33"))

	e.updateStatus(c, func() {
		c.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
			LastHeartbeatTime: metav1.Now()}}
		c.Status.Images = []corev1.ContainerImage{{Names: []string{"img"}}}
	})
	e.quiet(300 * time.Millisecond)

	e.remove(c)
	e.nextWith("node-c deleted", want("192.0.2.2"))
}

// TestClusterPolicyNotServed: without the CRD the agent syncs NetworkPolicy alone (a ClusterNetworkPolicy the
// reader could list is not read), logs that once however often it asks again, and starts enforcing
// ClusterNetworkPolicy without any other event once the CRD is served; when it goes away again, so do its rules.
func TestClusterPolicyNotServed(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, prefix+" "+args)
	}, funcr.Options{})
	count := func(s string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, l := range lines {
			if strings.Contains(l, s) {
				n++
			}
		}
		return n
	}
	sv := newServed(false)
	e := start(t, append(cluster(), denyClientsToWeb("deny-web")), withClusterPolicies(sv.ask, 20*time.Millisecond),
		withLogger(log))
	if r := e.next(); r.Err != nil || len(tierRules(r, ir.Admin)) != 0 || len(r.Enforced) != 1 {
		t.Fatalf("first sync without the CRD: %v, Admin rules %v, enforced %v; want NetworkPolicy alone", r.Err,
			tierRules(r, ir.Admin), r.Enforced)
	}
	for start := time.Now(); sv.asked.Load() < 5; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("asked %d times in 5s", sv.asked.Load())
		}
	}
	if n := count("ClusterNetworkPolicy is not served"); n != 1 {
		t.Errorf("logged %d times that ClusterNetworkPolicy is not served, want once:\n%s", n, strings.Join(lines, "\n"))
	}
	e.quiet(100 * time.Millisecond) // asking again is not syncing

	sv.answer.Store(true)
	e.nextWith("CRD installed", func(r Report) bool {
		return slices.Equal(tierRules(r, ir.Admin), []string{"deny-web Deny 10.244.1.10"})
	})
	sv.answer.Store(false)
	e.nextWith("CRD removed", func(r Report) bool { return len(tierRules(r, ir.Admin)) == 0 })
	if n := count("no longer served"); n != 1 {
		t.Errorf("logged %d times that ClusterNetworkPolicy is no longer served, want once", n)
	}
}

// waitAsked waits until sv has been asked n times in all.
func waitAsked(t *testing.T, sv *served, n int64) {
	t.Helper()
	for start := time.Now(); sv.asked.Load() < n; time.Sleep(5 * time.Millisecond) {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("asked %d times in 10s, want %d", sv.asked.Load(), n)
		}
	}
}

// TestClusterPolicyTransient404: while ClusterNetworkPolicy is served, answers that it is not (an API server
// restarting serves discovery before its CRDs' groups) change nothing until three in a row, confirmEvery apart,
// say so: two, then served again, and no sync runs — the Admin rules stay. Three: the rules go, no sooner than
// two spacings after the first.
func TestClusterPolicyTransient404(t *testing.T) {
	const confirm = 200 * time.Millisecond
	sv := newServed(true)
	e := start(t, append(cluster(), denyClientsToWeb("deny-web")), withClusterPolicies(sv.ask, 20*time.Millisecond),
		withAbsentConfirm(confirm))
	admin := []string{"deny-web Deny 10.244.1.10"}
	e.nextWith("first sync", func(r Report) bool { return slices.Equal(tierRules(r, ir.Admin), admin) })

	sv.answer.Store(false)
	waitAsked(t, sv, sv.asked.Load()+2) // two "not served" answers, the next one confirm later
	sv.answer.Store(true)
	e.quiet(3 * confirm)

	sv.answer.Store(false)
	since := time.Now()
	e.nextWith("CRD removed for good", func(r Report) bool { return len(tierRules(r, ir.Admin)) == 0 })
	if d := time.Since(since); d < 2*confirm-50*time.Millisecond {
		t.Errorf("ClusterNetworkPolicy switched off %s after the first 404, want three answers %s apart", d, confirm)
	}
}

// startWithTiersInForce starts a loop that enforces deny-web, stops it, and returns the dataplane holding its
// table (Admin sets included), as a restarted agent finds the kernel.
func startWithTiersInForce(t *testing.T) *fakeDataplane {
	t.Helper()
	dp := &fakeDataplane{}
	e := start(t, append(cluster(), denyClientsToWeb("deny-web")), withClusterPolicies(newServed(true).ask, time.Hour),
		withDataplane(dp))
	e.nextWith("the previous agent's sync", func(r Report) bool { return len(tierRules(r, ir.Admin)) == 1 })
	e.stop()
	if tab, err := dp.Read(); err != nil || !tableHoldsTiers(tab) {
		t.Fatalf("the previous agent's table holds no tier sets (%v)", err)
	}
	return dp
}

// TestClusterPolicyStartConfirms: an agent restarting against an API server that answers 404 for
// ClusterNetworkPolicy, with Admin rules in the table in force, does not sync before three answers confirm it
// (readiness says so), then enforces NetworkPolicy alone.
func TestClusterPolicyStartConfirms(t *testing.T) {
	const confirm = 200 * time.Millisecond
	dp := startWithTiersInForce(t)
	sv := newServed(false)
	begin := time.Now()
	e := start(t, append(cluster(), denyClientsToWeb("deny-web")), withClusterPolicies(sv.ask, time.Hour),
		withAbsentConfirm(confirm), withDataplane(dp))
	waitAsked(t, sv, 1)
	if err := e.sync.ReadyCheck(nil); err == nil || !strings.Contains(err.Error(), "confirming that ClusterNetworkPolicy is not served") {
		t.Errorf("readiness while confirming: %v", err)
	}
	r := e.next()
	if d := time.Since(begin); d < 2*confirm-50*time.Millisecond {
		t.Errorf("first sync %s after start, want after three answers %s apart", d, confirm)
	}
	if r.Err != nil || len(tierRules(r, ir.Admin)) != 0 || sv.asked.Load() < 3 {
		t.Errorf("first sync: %v, Admin rules %v after %d answers; want NetworkPolicy alone after 3", r.Err,
			tierRules(r, ir.Admin), sv.asked.Load())
	}
}

// TestClusterPolicyStartNothingToKeep: with no ClusterNetworkPolicy rules in force there is nothing a sync
// without them could lose: at a 404 the agent syncs NetworkPolicy at once and goes on confirming; discovery
// serving the kind on the second answer switches it on.
func TestClusterPolicyStartNothingToKeep(t *testing.T) {
	const confirm = 300 * time.Millisecond
	sv := newServed(false)
	e := start(t, append(cluster(), denyClientsToWeb("deny-web")), withClusterPolicies(sv.ask, time.Hour),
		withAbsentConfirm(confirm))
	r := e.next()
	if r.Err != nil || len(tierRules(r, ir.Admin)) != 0 || sv.asked.Load() != 1 {
		t.Fatalf("first sync: %v, Admin rules %v, asked %d; want NetworkPolicy alone after one answer", r.Err,
			tierRules(r, ir.Admin), sv.asked.Load())
	}
	sv.answer.Store(true)
	e.nextWith("served at the second answer", func(r Report) bool {
		return slices.Equal(tierRules(r, ir.Admin), []string{"deny-web Deny 10.244.1.10"})
	})
	if n := sv.asked.Load(); n != 2 {
		t.Errorf("asked %d times, want 2", n)
	}
}

// TestClusterPolicyDiscoveryWaits: no pass runs before discovery has answered (an unreachable API server): a
// restarted agent must not replace a table holding Admin rules with one without them.
func TestClusterPolicyDiscoveryWaits(t *testing.T) {
	sv := newServed(true)
	unreachable := errors.New("connection refused")
	sv.err.Store(&unreachable)
	e := start(t, append(cluster(), denyClientsToWeb("deny-web")), withClusterPolicies(sv.ask, time.Hour))
	e.quiet(1500 * time.Millisecond) // asked at once and after 1 s
	if n := sv.asked.Load(); n < 2 {
		t.Errorf("asked %d times while unreachable, want again after 1 s", n)
	}
	sv.err.Store(nil)
	r := e.next()
	if r.Err != nil || !slices.Equal(tierRules(r, ir.Admin), []string{"deny-web Deny 10.244.1.10"}) {
		t.Errorf("first sync: %v, Admin rules %v; want deny-web's", r.Err, tierRules(r, ir.Admin))
	}
}

// TestClusterPolicyEvents: a ClusterNetworkPolicy the builder refuses is set aside with an Unenforceable Event
// and the others enforced; one with domainNames is enforced, reported with a PartiallyEnforced Event naming the
// field; each once per generation.
func TestClusterPolicyEvents(t *testing.T) {
	bad := denyClientsToWeb("bad")
	bad.Spec.Egress[0].Protocols = []cnp.ClusterNetworkPolicyProtocol{{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{
		DestinationPort: &cnp.Port{Range: &cnp.PortRange{Start: 80, End: 80}}}}}
	partial := withDomainNames(denyClientsToWeb("partial"))
	e := start(t, append(cluster(), bad, partial), withClusterPolicies(newServed(true).ask, time.Hour))
	r := e.next()
	if r.Err != nil || !slices.Equal(tierRules(r, ir.Admin), []string{"partial Deny 10.244.1.10", "partial Accept "}) {
		t.Fatalf("sync: %v, Admin rules %q; want partial's alone (its domainNames Accept matching nothing)", r.Err,
			tierRules(r, ir.Admin))
	}
	if len(r.Excluded) != 2 || r.Excluded[0].Policy.Name != "bad" || r.Excluded[0].Partial ||
		!strings.Contains(r.Excluded[0].Reason, "spec.egress[0].protocols[0]") ||
		r.Excluded[1].Policy.Name != "partial" || !r.Excluded[1].Partial ||
		!strings.HasPrefix(r.Excluded[1].Reason, "spec.egress[1].to[0].domainNames: ") {
		t.Errorf("excluded %+v", r.Excluded)
	}
	events := drain(e)
	want := []string{ // sorted
		"Warning PartiallyEnforced enforced on every node except spec.egress[1].to[0].domainNames: ",
		"Warning Unenforceable not enforced on any node: ClusterNetworkPolicy bad: spec.egress[0].protocols[0]",
	}
	if len(events) != 2 || !strings.HasPrefix(events[0], want[0]) || !strings.HasPrefix(events[1], want[1]) {
		t.Errorf("events\n%q\nwant prefixes\n%q", events, want)
	}

	e.update(partial, func() { partial.Spec.Priority = 11 }) // same generation: no Event again
	e.next()
	e.update(partial, func() { partial.Spec.Priority = 12; partial.Generation++ })
	e.next()
	if events := drain(e); len(events) != 1 || !strings.HasPrefix(events[0], want[0]) {
		t.Errorf("events after a new generation %q, want one PartiallyEnforced", events)
	}
}

// TestClusterPolicyEventsFromOneAgent: the agent reports ClusterNetworkPolicies only when its node's name is the
// smallest among the Nodes it watches, so that a cluster gets one Event per policy and generation, not one per
// node; it still lists them in its own report (the NodePolicyStatus), and NetworkPolicy Events are its own node's
// as before. When the node with the smaller name goes away, this agent reports what was not reported yet.
func TestClusterPolicyEventsFromOneAgent(t *testing.T) {
	partial := withDomainNames(denyClientsToWeb("partial"))
	objs := append(cluster(), badCIDR("bad-np"), partial, node(testNode, "a", "192.0.2.1"),
		node("node-b", "b", "192.0.2.2"), node("node-0", "z", "192.0.2.9"))
	e := start(t, objs, withClusterPolicies(newServed(true).ask, time.Hour))
	r := e.next()
	if r.Err != nil || len(r.Excluded) != 2 || r.Excluded[0].Policy.Name != "partial" || !r.Excluded[0].Partial ||
		r.Excluded[1].Policy.Name != "bad-np" {
		t.Fatalf("sync: %v, excluded %+v; want partial (in part) and bad-np listed", r.Err, r.Excluded)
	}
	events := drain(e)
	if len(events) != 1 || !strings.HasPrefix(events[0], "Warning Unenforceable not enforced on node node-a: ") {
		t.Errorf("events with node-0 in the cluster %q, want bad-np's alone", events)
	}

	n0 := &corev1.Node{}
	if err := e.client.Get(e.ctx, client.ObjectKey{Name: "node-0"}, n0); err != nil {
		t.Fatal(err)
	}
	e.remove(n0)
	e.next()
	want := "Warning PartiallyEnforced enforced on every node except spec.egress[1].to[0].domainNames: "
	if events := drain(e); len(events) != 1 || !strings.HasPrefix(events[0], want) {
		t.Errorf("events once node-0 is gone %q, want one with prefix %q", events, want)
	}
	e.update(partial, func() { partial.Spec.Priority = 12; partial.Generation++ })
	e.next()
	if events := drain(e); len(events) != 1 || !strings.HasPrefix(events[0], want) {
		t.Errorf("events after a new generation %q, want one with prefix %q", events, want)
	}
}

// TestClusterReporter: the smallest node name reports; so does an agent without Nodes to compare with.
func TestClusterReporter(t *testing.T) {
	nodes := []*corev1.Node{node("node-b", "", ""), node("node-a", "", ""), node("node-c", "", "")}
	for _, c := range []struct {
		node  string
		nodes []*corev1.Node
		want  bool
	}{
		{"node-a", nodes, true}, {"node-b", nodes, false}, {"node-c", nodes, false},
		{"node-0", nodes, true}, // its own Node not listed yet
		{"node-b", nil, true},
	} {
		if got := clusterReporter(c.node, c.nodes); got != c.want {
			t.Errorf("clusterReporter(%s, %d nodes) = %v, want %v", c.node, len(c.nodes), got, c.want)
		}
	}
}

// drain returns the Events recorded so far, sorted.
func drain(e *env) []string {
	var out []string
	for {
		select {
		case ev := <-e.recorder.Events:
			out = append(out, ev)
		default:
			slices.Sort(out)
			return out
		}
	}
}

// TestUnenforcedFieldsAsTheBuilderSays: the agent reports (Excluded, partial) exactly the fields the builder
// compiles as not enforced (ir.ClusterRule.Unenforced) — domainNames, an unknown peer, an unknown protocols
// entry, and a peer selector the API server stores but no selector can be made of, which fails closed (its Pass
// rule denies all) instead of setting the whole policy aside.
func TestUnenforcedFieldsAsTheBuilderSays(t *testing.T) {
	p := withDomainNames(denyClientsToWeb("p"))
	p.Spec.Egress = append(p.Spec.Egress, cnp.ClusterNetworkPolicyEgressRule{
		Action: cnp.ClusterNetworkPolicyRuleActionDeny,
		To:     []cnp.ClusterNetworkPolicyEgressPeer{{Networks: []cnp.CIDR{"10.0.0.0/8"}}, {}},
		Protocols: []cnp.ClusterNetworkPolicyProtocol{{}, {UDP: &cnp.ClusterNetworkPolicyProtocolUDP{
			DestinationPort: &cnp.Port{Number: 53}}}},
	})
	p.Spec.Ingress = []cnp.ClusterNetworkPolicyIngressRule{{Action: cnp.ClusterNetworkPolicyRuleActionPass,
		From: []cnp.ClusterNetworkPolicyIngressPeer{{}}}}
	badSelector := denyClientsToWeb("bad-selector")
	badSelector.Spec.Egress[0].Action = cnp.ClusterNetworkPolicyRuleActionPass
	badSelector.Spec.Egress[0].To[0].Pods.PodSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: "app", Operator: "in", Values: []string{"web"}}}}
	e := start(t, append(cluster(), p, badSelector), withClusterPolicies(newServed(true).ask, time.Hour))
	r := e.next()
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	reported := map[string][]string{}
	for _, x := range r.Excluded {
		if !x.Partial {
			t.Errorf("%s set aside (%s), want enforced in part", x.Policy, x.Reason)
			continue
		}
		fields, _, _ := strings.Cut(x.Reason, ": ")
		reported[x.Policy.Name] = strings.Split(fields, ", ")
	}
	fromIR := map[string][]string{}
	for _, g := range r.Node.Groups {
		for _, cr := range g.Admin {
			for _, f := range cr.Unenforced {
				if !slices.Contains(fromIR[cr.Policy], f) {
					fromIR[cr.Policy] = append(fromIR[cr.Policy], f)
				}
			}
		}
	}
	want := map[string][]string{
		"p": {"spec.ingress[0].from[0]", "spec.egress[1].to[0].domainNames", "spec.egress[2].to[1]",
			"spec.egress[2].protocols[0]"},
		"bad-selector": {"spec.egress[0].to[0].pods"},
	}
	for name, fields := range want {
		if !slices.Equal(reported[name], fields) {
			t.Errorf("%s: the agent reports %q, want %q", name, reported[name], fields)
		}
		got := slices.Clone(fromIR[name])
		slices.Sort(got)
		fields = slices.Clone(fields)
		slices.Sort(fields)
		if !slices.Equal(got, fields) {
			t.Errorf("%s: the IR's unenforced fields %q, want %q", name, got, fields)
		}
	}
	if got, want := tierRules(r, ir.Admin), "bad-selector Deny "; !slices.Contains(got, want) {
		t.Errorf("Admin rules %q lack %q (a Pass through an invalid selector fails closed)", got, want)
	}
}

// TestDropReasonOfATier: a drop logged by a tier's deny chain names the tier and its denying policies.
func TestDropReasonOfATier(t *testing.T) {
	d := Drop{Direction: "egress", SrcPod: "x/client-a", Tier: "Admin", Policies: []string{"deny-web"},
		Src: netip.MustParseAddr("10.244.1.20")}
	if got, want := d.Reason(), "egress of x/client-a is denied by a Deny rule of Admin ClusterNetworkPolicy deny-web"; got != want {
		t.Errorf("Reason() = %q, want %q", got, want)
	}
	d.Policies, d.Audit = []string{"a", "b"}, true
	if got, want := d.Reason(), "egress of x/client-a is denied by a Deny rule of one of the Admin ClusterNetworkPolicies a, b (audit mode: let through)"; got != want {
		t.Errorf("Reason() = %q, want %q", got, want)
	}
}

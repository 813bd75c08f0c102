package controllers

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/conntrack"
	"github.com/nftpolicy/nftpolicy/nft"
)

// fakeConntrack is a conntrack table in memory. Delete removes the entries it is given; failFlows and
// failDelete make the next calls fail.
type fakeConntrack struct {
	mu         sync.Mutex
	entries    []conntrack.Flow
	own        []netip.Addr
	failOpen   int
	failFlows  int
	failDelete int
	opens      int
	closes     int
	dumps      int
	deleted    []conntrack.Flow
}

func (f *fakeConntrack) mode() *strictMode {
	return &strictMode{
		open: func() (conntrackTable, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.failOpen > 0 {
				f.failOpen--
				return nil, errInjected
			}
			f.opens++
			return f, nil
		},
		ownAddrs: func() ([]netip.Addr, error) { return f.own, nil },
	}
}

func (f *fakeConntrack) Flows() ([]conntrack.Flow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dumps++
	if f.failFlows > 0 {
		f.failFlows--
		return nil, errInjected
	}
	return slices.Clone(f.entries), nil
}

func (f *fakeConntrack) Delete(flows []conntrack.Flow) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failDelete > 0 {
		f.failDelete--
		return 0, errInjected
	}
	n := 0
	for _, d := range flows {
		if i := slices.Index(f.entries, d); i >= 0 {
			f.entries = slices.Delete(f.entries, i, i+1)
			f.deleted = append(f.deleted, d)
			n++
		}
	}
	return n, nil
}

func (f *fakeConntrack) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closes++
	return nil
}

func (f *fakeConntrack) has(fl conntrack.Flow) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.entries, fl)
}

// ctFlow is an entry without NAT: the reply tuple mirrors the original one.
func ctFlow(proto uint8, src string, sport uint16, dst string, dport uint16) conntrack.Flow {
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	fam := 4
	if s.Is6() {
		fam = 6
	}
	return conntrack.Flow{Family: fam, Proto: proto, Src: s, SrcPort: sport, Dst: d, DstPort: dport,
		ReplySrc: d, ReplySrcPort: dport, ReplyDst: s, ReplyDstPort: sport}
}

// dnat is f sent to a Service address vip:vport and DNATed to f's destination, as kube-proxy does.
func dnat(f conntrack.Flow, vip string, vport uint16) conntrack.Flow {
	f.Dst, f.DstPort = netip.MustParseAddr(vip), vport
	return f
}

const (
	tcp  = 6
	udp  = 17
	icmp = 1
)

// Strict-mode fixtures (node-a): web (10.244.1.10) isolated for ingress, TCP/80 from role=client only;
// client-a (10.244.1.20) and client-b (10.244.2.20, elsewhere) are clients, stranger (10.244.1.30) is not;
// namespace "aud" is in audit mode and its web (10.244.1.40) allows nobody; the node itself is 10.0.0.1.
const (
	webIP      = "10.244.1.10"
	clientAIP  = "10.244.1.20"
	clientBIP  = "10.244.2.20"
	strangerIP = "10.244.1.30"
	auditWebIP = "10.244.1.40"
	nodeIP     = "10.0.0.1"
)

func strictCluster() []client.Object {
	tcp80 := allowFrom("allow-client", "web", "client")
	p := intstr.FromInt32(80)
	tcp80.Spec.Ingress[0].Ports = []networkingv1.NetworkPolicyPort{{Port: &p}}
	audWeb := pod("web", testNode, auditWebIP, map[string]string{"app": "web"})
	audWeb.Namespace = "aud"
	denyAll := allowFrom("deny-all", "web", "nobody")
	denyAll.Namespace = "aud"
	aud := namespace("aud", nil)
	aud.Annotations = map[string]string{ir.AuditAnnotation: "true"}
	return []client.Object{
		namespace("x", nil), aud,
		pod("web", testNode, webIP, map[string]string{"app": "web"}),
		pod("client-a", testNode, clientAIP, map[string]string{"role": "client"}),
		pod("client-b", "node-b", clientBIP, map[string]string{"role": "client"}),
		pod("stranger", testNode, strangerIP, map[string]string{"role": "stranger"}),
		tcp80, audWeb, denyAll,
	}
}

// TestStrictCutsWhatTheTableDenies: which flows one pass deletes, and which it keeps.
func TestStrictCutsWhatTheTableDenies(t *testing.T) {
	cut := map[string]conntrack.Flow{
		"stranger -> web":                      ctFlow(tcp, strangerIP, 40000, webIP, 80),
		"client-a -> web on another port":      ctFlow(tcp, clientAIP, 40001, webIP, 8080),
		"client-a -> web over UDP":             ctFlow(udp, clientAIP, 40002, webIP, 80),
		"stranger -> a Service of web":         dnat(ctFlow(tcp, strangerIP, 40003, webIP, 80), "10.96.0.10", 80),
		"remote stranger -> web":               ctFlow(tcp, "10.244.2.99", 40004, webIP, 80),
		"client-a -> Service:8080 -> web:8080": dnat(ctFlow(tcp, clientAIP, 40005, webIP, 8080), "10.96.0.10", 80),
	}
	kept := map[string]conntrack.Flow{
		"client-a -> web":                    ctFlow(tcp, clientAIP, 41000, webIP, 80),
		"client-b (remote) -> web":           ctFlow(tcp, clientBIP, 41001, webIP, 80),
		"client-a -> Service:8080 -> web:80": dnat(ctFlow(tcp, clientAIP, 41002, webIP, 80), "10.96.0.10", 8080),
		"stranger -> audited web":            ctFlow(tcp, strangerIP, 41003, auditWebIP, 80),
		"web -> stranger (not isolated)":     ctFlow(tcp, webIP, 41004, strangerIP, 80),
		"between non-pods":                   ctFlow(tcp, "192.0.2.1", 41005, "198.51.100.1", 443),
		"the node -> web":                    ctFlow(tcp, nodeIP, 41006, webIP, 22),
		"stranger -> the node":               ctFlow(tcp, strangerIP, 41007, nodeIP, 10250),
		"stranger pings web":                 ctFlow(icmp, strangerIP, 0, webIP, 0),
		"web -> web through a Service":       dnat(ctFlow(tcp, webIP, 41008, webIP, 80), "10.96.0.10", 80),
	}
	ct := &fakeConntrack{own: []netip.Addr{netip.MustParseAddr(nodeIP)}}
	for _, m := range []map[string]conntrack.Flow{cut, kept} {
		for _, f := range m {
			ct.entries = append(ct.entries, f)
		}
	}
	res, err := ct.mode().cut(irFor(t, strictCluster()))
	if err != nil {
		t.Fatal(err)
	}
	for what, f := range cut {
		if ct.has(f) {
			t.Errorf("%s (%s): kept, want it cut", what, f)
		}
	}
	for what, f := range kept {
		if !ct.has(f) {
			t.Errorf("%s (%s): cut, want it kept", what, f)
		}
	}
	if res.deleted != len(cut) || len(res.denied) != len(cut) || res.flows != len(cut)+len(kept)-1 {
		t.Errorf("result: %d flows, %d denied, %d deleted; want %d, %d, %d", res.flows, len(res.denied), res.deleted,
			len(cut)+len(kept)-1, len(cut), len(cut))
	}
	if ct.opens != 1 || ct.closes != 1 {
		t.Errorf("opened %d, closed %d: want one socket for the pass", ct.opens, ct.closes)
	}
}

// strictLoop is a NodeSync with strict mode on a fake dataplane and fake conntrack, driven by hand.
type strictLoop struct {
	t       *testing.T
	ctx     context.Context
	client  client.Client
	sync    *NodeSync
	ct      *fakeConntrack
	reports []Report
}

func newStrictLoop(t *testing.T, objs []client.Object, ct *fakeConntrack) *strictLoop {
	l := &strictLoop{t: t, ctx: context.Background(), ct: ct,
		client: fake.NewClientBuilder().WithScheme(newScheme(t)).WithObjects(objs...).Build()}
	compile := Options{NodeName: testNode, Strict: true}.compileOptions()
	s, err := NewNodeSync(NodeSyncConfig{NodeName: testNode, Reader: l.client, Dataplane: &fakeDataplane{},
		Recorder: events.NewFakeRecorder(100), VerifyInterval: -1, Compile: &compile, strict: ct.mode(),
		OnSync: func(r Report) { l.reports = append(l.reports, r) }})
	if err != nil {
		t.Fatal(err)
	}
	l.sync = s
	return l
}

// pass runs one pass of the loop after an event (none for the first) and returns its report.
func (l *strictLoop) pass(event bool) Report {
	l.t.Helper()
	if event {
		l.sync.burst.mark()
	}
	n := len(l.reports)
	if _, err := l.sync.Reconcile(l.ctx, reconcile.Request{}); err != nil {
		l.t.Fatalf("sync failed: %v", err)
	}
	if len(l.reports) != n+1 {
		l.t.Fatalf("%d syncs, want one", len(l.reports)-n)
	}
	return l.reports[n]
}

func (l *strictLoop) relabel(name string, labels map[string]string) {
	l.t.Helper()
	var p corev1.Pod
	if err := l.client.Get(l.ctx, client.ObjectKey{Namespace: "x", Name: name}, &p); err != nil {
		l.t.Fatal(err)
	}
	p.Labels = labels
	if err := l.client.Update(l.ctx, &p); err != nil {
		l.t.Fatal(err)
	}
}

// TestStrictPassFollowsSyncs: a pass after the first sync and after every sync that changed the table, none
// after a sync that changed nothing; the count goes to the report and the metric; strict mode compiles the
// guard.
func TestStrictPassFollowsSyncs(t *testing.T) {
	a := ctFlow(tcp, clientAIP, 40000, webIP, 80)
	stranger := ctFlow(tcp, strangerIP, 40001, webIP, 80)
	ct := &fakeConntrack{entries: []conntrack.Flow{a, stranger}}
	l := newStrictLoop(t, strictCluster(), ct)

	r := l.pass(false)
	if r.Err != nil || r.StrictErr != nil || r.StrictCut != 1 || ct.has(stranger) || !ct.has(a) {
		t.Fatalf("first sync: err %v, strict err %v, cut %d; entries %v", r.Err, r.StrictErr, r.StrictCut, ct.entries)
	}

	dumps := ct.dumps
	if r := l.pass(true); !r.Plan.Empty() || ct.dumps != dumps || r.StrictCut != 0 {
		t.Errorf("a sync that changed nothing: plan %+v, %d dumps, cut %d; want no pass", r.Plan, ct.dumps-dumps,
			r.StrictCut)
	}

	l.relabel("client-a", map[string]string{"role": "former-client"})
	r = l.pass(true)
	if r.Plan.Empty() || r.StrictCut != 1 || ct.has(a) {
		t.Errorf("client-a no longer a client: plan empty %v, cut %d, entries %v", r.Plan.Empty(), r.StrictCut, ct.entries)
	}
	if got := value(t, l.sync.metrics.strictCut); got != 2 {
		t.Errorf("nftpolicy_strict_flows_cut_total = %v, want 2", got)
	}
	if !hasGuard(r.Table) {
		t.Errorf("strict mode without the guard in the forward chain:\n%s", r.Table.Text())
	}
}

// TestStrictErrorsDoNotFailTheSync: conntrack failing leaves the sync successful and the agent ready; it is
// counted, and the next sync tries again even when it changes nothing.
func TestStrictErrorsDoNotFailTheSync(t *testing.T) {
	stranger := ctFlow(tcp, strangerIP, 40001, webIP, 80)
	for _, tc := range []struct {
		name string
		fail func(*fakeConntrack)
	}{
		{"open", func(f *fakeConntrack) { f.failOpen = 1 }},
		{"dump", func(f *fakeConntrack) { f.failFlows = 1 }},
		{"delete", func(f *fakeConntrack) { f.failDelete = 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct := &fakeConntrack{entries: []conntrack.Flow{stranger}}
			tc.fail(ct)
			l := newStrictLoop(t, strictCluster(), ct)
			r := l.pass(false)
			if r.Err != nil || !errors.Is(r.StrictErr, errInjected) || r.StrictCut != 0 || !ct.has(stranger) {
				t.Fatalf("err %v, strict err %v, cut %d", r.Err, r.StrictErr, r.StrictCut)
			}
			if err := l.sync.ReadyCheck(nil); err != nil {
				t.Errorf("not ready after a sync whose strict pass failed: %v", err)
			}
			if got := value(t, l.sync.metrics.strictErrors); got != 1 {
				t.Errorf("nftpolicy_strict_errors_total = %v, want 1", got)
			}
			if ct.opens != ct.closes {
				t.Errorf("opened %d, closed %d", ct.opens, ct.closes)
			}
			// No event: the loop comes back by itself (a quiet cluster must not leave denied flows alive).
			res, err := l.sync.Reconcile(l.ctx, reconcile.Request{})
			if err != nil || len(l.reports) != 2 {
				t.Fatalf("retry without an event: err %v, %d syncs in all", err, len(l.reports))
			}
			if r = l.reports[1]; !r.Plan.Empty() || r.StrictErr != nil || r.StrictCut != 1 || ct.has(stranger) {
				t.Errorf("next sync: plan %+v, strict err %v, cut %d; want the pass retried", r.Plan, r.StrictErr, r.StrictCut)
			}
			if res.RequeueAfter != 0 {
				t.Errorf("after a successful retry: requeue after %s, want none", res.RequeueAfter)
			}
		})
	}
}

// TestStrictFailedPassRequeues: after a failed pass the loop asks to come back in strictRetry, not only at the
// next event.
func TestStrictFailedPassRequeues(t *testing.T) {
	ct := &fakeConntrack{entries: []conntrack.Flow{ctFlow(tcp, strangerIP, 40001, webIP, 80)}, failFlows: 1}
	l := newStrictLoop(t, strictCluster(), ct)
	res, err := l.sync.Reconcile(l.ctx, reconcile.Request{})
	if err != nil || len(l.reports) != 1 || l.reports[0].StrictErr == nil {
		t.Fatalf("err %v, reports %+v", err, l.reports)
	}
	if res.RequeueAfter != strictRetry {
		t.Errorf("requeue after %s, want %s", res.RequeueAfter, strictRetry)
	}
}

// TestStrictWithClusterAudit: with --audit every chain lets its traffic through, so strict mode cuts nothing.
func TestStrictWithClusterAudit(t *testing.T) {
	stranger := ctFlow(tcp, strangerIP, 40001, webIP, 80)
	ct := &fakeConntrack{entries: []conntrack.Flow{stranger}}
	l := newStrictLoop(t, strictCluster(), ct)
	l.sync.compile.Audit = true
	if r := l.pass(false); r.Err != nil || r.StrictCut != 0 || !ct.has(stranger) || ct.dumps != 0 {
		t.Errorf("audit + strict: err %v, cut %d, %d dumps; entries %v", r.Err, r.StrictCut, ct.dumps, ct.entries)
	}
}

// TestStrictOffCompilesNoGuard: without strict mode, no guard and no conntrack.
func TestStrictOffCompilesNoGuard(t *testing.T) {
	o := Options{NodeName: testNode}
	if o.strictMode() != nil || o.compileOptions().Strict {
		t.Fatal("strict mode on by default")
	}
	o.Strict = true
	if o.strictMode() == nil || !o.compileOptions().Strict {
		t.Fatal("Options.Strict does not turn strict mode on")
	}
}

// hasGuard reports whether t's forward chain has strict mode's guard right after the established accept.
func hasGuard(t *nft.Table) bool {
	for _, c := range t.Chains {
		if c.Name == compiler.ForwardChain {
			return len(c.Rules) > 1 && c.Rules[1].Match == nft.CtNewTCPNotSYN && c.Rules[1].Verdict.Kind == nft.Drop
		}
	}
	return false
}

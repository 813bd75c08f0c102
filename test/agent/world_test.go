package agent

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

const (
	// port is the TCP port every pod listens on.
	port = 80
	// probeTimeout is how long a probe waits: pods of one node are a bridge apart, so an allowed connection
	// takes well under a millisecond and a denied (dropped) one costs the whole timeout.
	probeTimeout = 200 * time.Millisecond
	// convergeTimeout bounds how long a change may take to show in the packets; the agent is expected to
	// converge in well under a second (the measured times are printed at the end of the suite).
	convergeTimeout = 3 * time.Second
)

var worldSeq atomic.Int32

// world is one spec's fake cluster: a harness cluster of one node (network namespaces, pods listening on
// TCP port 80, IPv4 and IPv6) and the same namespaces and pods as objects in the API server. Every spec has
// its own node name and its own Kubernetes namespaces (prefixed with the world's id), and deletes its pods and
// policies when it ends, so specs do not see each other's objects.
type world struct {
	c    *harness.Cluster
	id   string // e.g. "w3": prefix of the spec's Kubernetes namespaces
	node string
	nss  []string  // Kubernetes namespaces created, full names
	last *agentRun // the agent started last
}

// podDef declares a pod by short key "ns/name" (ns without the world's prefix) and its labels.
type podDef struct {
	key    string
	labels map[string]string
}

func pod(key string, labels map[string]string) podDef { return podDef{key, labels} }

// newWorld builds the network namespaces, creates the Kubernetes namespaces (with the labels of nsLabels, by
// short name) and the pods in the API server, with their addresses in status.
func newWorld(ctx context.Context, nsLabels map[string]map[string]string, pods ...podDef) *world {
	GinkgoHelper()
	n := worldSeq.Add(1)
	w := &world{id: fmt.Sprintf("w%d", n), node: fmt.Sprintf("node-w%d", n)}
	cfg := harness.Config{Topology: harness.Bridge, Nodes: []string{w.node}, IPv4: true, IPv6: true,
		ProbeTimeout: probeTimeout}
	shortNS := map[string]bool{}
	for ns := range nsLabels {
		shortNS[ns] = true
	}
	for _, p := range pods {
		ns, name, _ := strings.Cut(p.key, "/")
		shortNS[ns] = true
		cfg.Pods = append(cfg.Pods, harness.PodSpec{Namespace: w.ns(ns), Name: name, Node: w.node,
			Labels: p.labels, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: port}}})
	}
	start := time.Now()
	w.c = harness.New(GinkgoT(), cfg)
	GinkgoWriter.Printf("harness: node %s with %d pods built in %s\n", w.node, len(pods), since(start))
	DeferCleanup(w.deleteObjects)
	for _, ns := range slices.Sorted(maps.Keys(shortNS)) {
		obj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: w.ns(ns), Labels: nsLabels[ns]}}
		Expect(k8s.Create(ctx, obj)).To(Succeed())
		w.nss = append(w.nss, obj.Name)
	}
	for _, p := range w.c.Pods() {
		w.createPod(ctx, p)
	}
	return w
}

// ns is the full name of the world's namespace short.
func (w *world) ns(short string) string { return w.id + "-" + short }

// key is the harness key ("namespace/name") of the short key "ns/name".
func (w *world) key(short string) string {
	ns, name, _ := strings.Cut(short, "/")
	return w.ns(ns) + "/" + name
}

// harnessPod returns the harness's object of pod short, as the API server would show it.
func (w *world) harnessPod(short string) *corev1.Pod {
	GinkgoHelper()
	k := w.key(short)
	for _, p := range w.c.Pods() {
		if p.Namespace+"/"+p.Name == k {
			return p
		}
	}
	Fail("no harness pod " + k)
	return nil
}

// createPod creates p as the scheduler and kubelet would leave it: created bound to its node, then its status
// (phase Running, podIPs, hostIPs) written through the status subresource.
func (w *world) createPod(ctx context.Context, p *corev1.Pod) {
	GinkgoHelper()
	status := p.Status
	obj := p.DeepCopy()
	obj.UID, obj.ResourceVersion, obj.Status = "", "", corev1.PodStatus{}
	Expect(k8s.Create(ctx, obj)).To(Succeed(), "create pod %s/%s", p.Namespace, p.Name)
	obj.Status = status
	Expect(k8s.Status().Update(ctx, obj)).To(Succeed(), "status of pod %s/%s", p.Namespace, p.Name)
}

// reuseIP creates pod short (labelled labels) in the API server with the addresses of harness pod of, as a
// new pod given a deleted pod's IP would be: probes from and to of now reach or come from the new pod.
func (w *world) reuseIP(ctx context.Context, of, short string, labels map[string]string) {
	GinkgoHelper()
	p := w.harnessPod(of)
	ns, name, _ := strings.Cut(w.key(short), "/")
	p.Namespace, p.Name, p.Labels = ns, name, labels
	w.createPod(ctx, p)
}

// setPhase writes the phase of pod short through the status subresource.
func (w *world) setPhase(ctx context.Context, short string, phase corev1.PodPhase) {
	GinkgoHelper()
	ns, name, _ := strings.Cut(w.key(short), "/")
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var p corev1.Pod
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
			return err
		}
		p.Status.Phase = phase
		return k8s.Status().Update(ctx, &p)
	})).To(Succeed(), "phase of pod %s/%s", ns, name)
}

// deletePod deletes pod short from the API server at once (grace period 0: what remains after the kubelet
// has confirmed the pod gone) and waits until it is gone.
func (w *world) deletePod(ctx context.Context, short string) {
	GinkgoHelper()
	ns, name, _ := strings.Cut(w.key(short), "/")
	obj := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	Expect(k8s.Delete(ctx, obj, client.GracePeriodSeconds(0))).To(Succeed())
	Eventually(ctx, func() bool {
		return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKeyFromObject(obj), &corev1.Pod{}))
	}).Should(BeTrue(), "pod %s/%s deleted", ns, name)
}

// relabelPod replaces the labels of pod short.
func (w *world) relabelPod(ctx context.Context, short string, labels map[string]string) {
	GinkgoHelper()
	ns, name, _ := strings.Cut(w.key(short), "/")
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var p corev1.Pod
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &p); err != nil {
			return err
		}
		p.Labels = labels
		return k8s.Update(ctx, &p)
	})).To(Succeed(), "relabel pod %s/%s", ns, name)
}

// relabelNamespace replaces the labels of namespace short (the API server keeps kubernetes.io/metadata.name).
func (w *world) relabelNamespace(ctx context.Context, short string, labels map[string]string) {
	GinkgoHelper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var ns corev1.Namespace
		if err := k8s.Get(ctx, client.ObjectKey{Name: w.ns(short)}, &ns); err != nil {
			return err
		}
		ns.Labels = labels
		return k8s.Update(ctx, &ns)
	})).To(Succeed(), "relabel namespace %s", w.ns(short))
}

// annotateNamespace sets one annotation of namespace short.
func (w *world) annotateNamespace(ctx context.Context, short, key, value string) {
	GinkgoHelper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var ns corev1.Namespace
		if err := k8s.Get(ctx, client.ObjectKey{Name: w.ns(short)}, &ns); err != nil {
			return err
		}
		if ns.Annotations == nil {
			ns.Annotations = map[string]string{}
		}
		ns.Annotations[key] = value
		return k8s.Update(ctx, &ns)
	})).To(Succeed(), "annotate namespace %s", w.ns(short))
}

// createPolicy creates pol in the world's namespace of the short name pol.Namespace.
func (w *world) createPolicy(ctx context.Context, pol *networkingv1.NetworkPolicy) {
	GinkgoHelper()
	pol = pol.DeepCopy()
	pol.Namespace = w.ns(pol.Namespace)
	Expect(k8s.Create(ctx, pol)).To(Succeed(), "create policy %s/%s", pol.Namespace, pol.Name)
}

// deletePolicy deletes policy name of the world's namespace short.
func (w *world) deletePolicy(ctx context.Context, short, name string) {
	GinkgoHelper()
	pol := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: w.ns(short), Name: name}}
	Expect(k8s.Delete(ctx, pol)).To(Succeed(), "delete policy %s/%s", pol.Namespace, name)
}

// deleteObjects deletes the world's pods and policies (the namespaces stay: envtest runs no namespace
// controller, and their names are not reused).
func (w *world) deleteObjects(ctx SpecContext) {
	for _, ns := range w.nss {
		Expect(k8s.DeleteAllOf(ctx, &networkingv1.NetworkPolicy{}, client.InNamespace(ns))).To(Succeed())
		Expect(k8s.DeleteAllOf(ctx, &corev1.Pod{}, client.InNamespace(ns), client.GracePeriodSeconds(0))).To(Succeed())
	}
}

// ingressPolicy isolates the pods of namespace ns (short name) that target selects for ingress and allows
// traffic from peers.
func ingressPolicy(ns, name string, target map[string]string, peers ...networkingv1.NetworkPolicyPeer) *networkingv1.NetworkPolicy {
	rules := []networkingv1.NetworkPolicyIngressRule{}
	if len(peers) > 0 {
		rules = append(rules, networkingv1.NetworkPolicyIngressRule{From: peers})
	}
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: target},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}

// podPeer selects pods of the policy's namespace by labels.
func podPeer(labels map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: labels}}
}

// nsPeer selects every pod of the namespaces with labels.
func nsPeer(labels map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: labels}}
}

// Packets.

// flow is a TCP connection to port 80 from one pod to another (short keys), IPv4 and IPv6, and whether it
// should connect.
type flow struct {
	from, to string
	allowed  bool
}

func allowed(from, to string) flow { return flow{from, to, true} }
func denied(from, to string) flow  { return flow{from, to, false} }

func (w *world) probe(from, to string, family int) harness.Probe {
	return harness.Probe{From: w.key(from), To: w.key(to), Protocol: corev1.ProtocolTCP, Port: port, Family: family}
}

// mismatches probes every flow in both families and describes those that do not behave as expected.
func (w *world) mismatches(ctx context.Context, flows []flow) []string {
	var (
		probes []harness.Probe
		want   []bool
	)
	for _, f := range flows {
		for _, fam := range []int{4, 6} {
			probes = append(probes, w.probe(f.from, f.to, fam))
			want = append(want, f.allowed)
		}
	}
	var bad []string
	for i, ok := range w.c.Run(ctx, probes) {
		if ok != want[i] {
			bad = append(bad, fmt.Sprintf("%v: connected=%v, want %v", probes[i], ok, want[i]))
		}
	}
	return bad
}

// expectFlows waits until every flow behaves as expected, and records how long after changed that took: as
// the probes saw it (their resolution is the probe timeout when a flow has to start connecting) and as the
// agent reports it (the end of its first sync after changed that applied a batch).
func (w *world) expectFlows(ctx context.Context, what string, changed time.Time, flows ...flow) {
	GinkgoHelper()
	w.expectFlowsWithin(ctx, convergeTimeout, what, changed, flows...)
}

// expectFlowsWithin is expectFlows with another time limit.
func (w *world) expectFlowsWithin(ctx context.Context, limit time.Duration, what string, changed time.Time,
	flows ...flow) {
	GinkgoHelper()
	Eventually(ctx, func() []string { return w.mismatches(ctx, flows) }).
		WithTimeout(limit).Should(BeEmpty(), what)
	recordTiming(what+" (probes)", time.Since(changed))
	if w.last == nil {
		return
	}
	for _, r := range w.last.syncs() {
		if end := r.Start.Add(r.Duration); r.Err == nil && r.Plan != nil && !r.Plan.Empty() && end.After(changed) {
			recordTiming(what+" (batch applied)", end.Sub(changed))
			return
		}
	}
}

// checkFlows asserts, once, that every flow behaves as expected.
func (w *world) checkFlows(ctx context.Context, what string, flows ...flow) {
	GinkgoHelper()
	Expect(w.mismatches(ctx, flows)).To(BeEmpty(), what)
}

// stream sends a probe of one flow (each family in turn) every interval until stopped, in parallel (a
// dropped probe does not delay the next), and counts the outcomes. A denied flow that connects once is
// wrong. An allowed flow that fails is tried twice more at once, and wrong only when all three fail: on a
// loaded machine (two CPUs and a starting API server) a connection between two pods of a bridge can miss
// the probe timeout, while a flow the ruleset blocks stays blocked for far longer than a retry.
type stream struct {
	f        flow
	once     sync.Once
	stopped  chan struct{}
	loopDone chan struct{}
	inflight sync.WaitGroup

	mu       sync.Mutex
	sent     int
	wrong    int
	firstBad time.Time
	lastBad  time.Time
}

func (w *world) startStream(f flow, every time.Duration) *stream {
	s := &stream{f: f, stopped: make(chan struct{}), loopDone: make(chan struct{})}
	go func() {
		defer close(s.loopDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for i := 0; ; i++ {
			select {
			case <-s.stopped:
				return
			case <-t.C:
			}
			p := w.probe(f.from, f.to, 4+2*(i%2))
			sent := time.Now()
			s.inflight.Go(func() {
				ok := w.c.Run(context.Background(), []harness.Probe{p})[0]
				for retry := 0; !ok && f.allowed && retry < 2; retry++ {
					ok = w.c.Run(context.Background(), []harness.Probe{p})[0]
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				s.sent++
				if ok != f.allowed {
					s.wrong++
					if s.firstBad.IsZero() {
						s.firstBad = sent
					}
					s.lastBad = sent
				}
			})
		}
	}()
	DeferCleanup(func() { s.stop() }) // when the spec fails before expectClean
	return s
}

// stop ends the stream, waits for the probes in flight, and returns how many were sent and how many did
// not behave as expected.
func (s *stream) stop() (sent, wrong int) {
	s.once.Do(func() { close(s.stopped) })
	<-s.loopDone
	s.inflight.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent, s.wrong
}

// expectClean stops the stream and fails when any probe did not behave as expected.
func (s *stream) expectClean(what string) {
	GinkgoHelper()
	sent, wrong := s.stop()
	verb := map[bool]string{true: "connected", false: "was blocked"}[!s.f.allowed]
	GinkgoWriter.Printf("%s: %d probes %s -> %s, %d %s\n", what, sent, s.f.from, s.f.to, wrong, verb)
	recordProbes(what, sent, wrong)
	Expect(sent).To(BeNumerically(">", 10), "%s: too few probes sent", what)
	Expect(wrong).To(BeZero(), "%s: %d of %d probes %s -> %s %s (first sent %s, last %s)", what, wrong, sent,
		s.f.from, s.f.to, verb, s.firstBad.Format(time.StampMilli), s.lastBad.Format(time.StampMilli))
}

// The node's nftables, by hand.

// nft runs nft inside the world's node namespace via `ip netns exec`, and nowhere else.
func (w *world) nft(args ...string) (string, error) {
	ns := w.c.NodeNetns(w.node)
	if !strings.HasPrefix(ns, "nftp-") || strings.ContainsAny(ns, "/ \t\n") {
		Fail(fmt.Sprintf("refusing to run nft outside a harness namespace (node %s: netns %q)", w.node, ns))
	}
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns, "nft"}, args...)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ip netns exec %s nft %s: %w: %s", ns, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// counterValues are the values nft lists after a rule's counter: they move with every packet, and a rule the
// agent rewrites starts again from zero, so table() leaves them out.
var counterValues = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// table is `nft list table inet nftpolicy` in the node without counter values, "" when there is no such table.
func (w *world) table() string {
	GinkgoHelper()
	out, err := w.c.ListRuleset(w.node)
	Expect(err).NotTo(HaveOccurred())
	if !strings.Contains(out, "table inet nftpolicy") {
		return ""
	}
	out, err = w.nft("list", "table", "inet", "nftpolicy")
	Expect(err).NotTo(HaveOccurred())
	return counterValues.ReplaceAllString(out, "counter")
}

// The agent.

// agentRun is an agent (the real manager of package controllers) running in the test process for the
// world's node, programming the node's network namespace.
type agentRun struct {
	*controllers.Agent
	probeAddr string
	cancel    context.CancelFunc
	done      chan error
	started   time.Time

	mu      sync.Mutex
	reports []controllers.Report
}

// startAgent starts the agent of the world's node; change adjusts its options. It is stopped when the spec
// ends (if not before).
func (w *world) startAgent(change func(*controllers.Options)) *agentRun {
	GinkgoHelper()
	a := &agentRun{probeAddr: freeLocalAddr(), done: make(chan error, 1)}
	opts := controllers.Options{
		NodeName:  w.node,
		NetnsPath: w.c.NodeNetnsPath(w.node),
		ProbeAddr: a.probeAddr,
		OnSync:    a.onSync,
	}
	if change != nil {
		change(&opts)
	}
	agent, err := controllers.New(cfg, opts)
	Expect(err).NotTo(HaveOccurred(), "build the agent")
	a.Agent = agent
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel, a.started = cancel, time.Now()
	go func() { a.done <- agent.Start(ctx) }()
	DeferCleanup(a.stop)
	w.last = a
	return a
}

func (a *agentRun) onSync(r controllers.Report) {
	a.mu.Lock()
	a.reports = append(a.reports, r)
	a.mu.Unlock()
}

// syncs returns the reports of the sync attempts so far.
func (a *agentRun) syncs() []controllers.Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.reports)
}

// stop stops the agent and waits for its manager to return (no-op when already stopped).
func (a *agentRun) stop() {
	GinkgoHelper()
	if a.cancel == nil {
		return
	}
	a.cancel()
	a.cancel = nil
	Eventually(a.done).WithTimeout(15*time.Second).Should(Receive(BeNil()), "the agent's manager returns cleanly")
}

// readyz is the agent's /readyz: nil when it answers 200.
func (a *agentRun) readyz() error {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + a.probeAddr + "/readyz?verbose")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/readyz: %s: %s", resp.Status, body)
	}
	return nil
}

// readySample is one answer of /readyz.
type readySample struct {
	at    time.Time
	ready bool
}

// sampleReadiness asks /readyz every 50 ms until the returned function is called, which returns the answers.
func (a *agentRun) sampleReadiness() func() []readySample {
	var (
		mu      sync.Mutex
		samples []readySample
	)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			at := time.Now()
			err := a.readyz()
			mu.Lock()
			samples = append(samples, readySample{at, err == nil})
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() []readySample {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(samples)
	}
}

// waitReady waits until /readyz answers 200 (after the first successful sync).
func (a *agentRun) waitReady(ctx context.Context) {
	GinkgoHelper()
	Eventually(ctx, a.readyz).Should(Succeed(), "agent ready")
	recordTiming("agent start to ready", time.Since(a.started))
}

// freeLocalAddr returns a loopback address with a port nobody listens on, for the agent's probe server.
func freeLocalAddr() string {
	GinkgoHelper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().String()
}

// Timings, printed at the end of the suite.

var timings struct {
	sync.Mutex
	byWhat map[string][]time.Duration
	order  []string
	// probes: sent and wrong per stream description (expectClean's what)
	probes     map[string][2]int
	probeOrder []string
}

func recordTiming(what string, d time.Duration) {
	GinkgoWriter.Printf("timing: %s: %s\n", what, d.Round(time.Millisecond))
	timings.Lock()
	defer timings.Unlock()
	if timings.byWhat == nil {
		timings.byWhat = map[string][]time.Duration{}
	}
	if _, ok := timings.byWhat[what]; !ok {
		timings.order = append(timings.order, what)
	}
	timings.byWhat[what] = append(timings.byWhat[what], d)
}

// recordProbes adds a stream's probes to the wrong-verdict summary printed at the end of the suite.
func recordProbes(what string, sent, wrong int) {
	timings.Lock()
	defer timings.Unlock()
	if timings.probes == nil {
		timings.probes = map[string][2]int{}
	}
	if _, ok := timings.probes[what]; !ok {
		timings.probeOrder = append(timings.probeOrder, what)
	}
	p := timings.probes[what]
	timings.probes[what] = [2]int{p[0] + sent, p[1] + wrong}
}

var _ = ReportAfterSuite("timings", func(Report) {
	timings.Lock()
	defer timings.Unlock()
	var b strings.Builder
	for _, what := range timings.order {
		ds := timings.byWhat[what]
		fmt.Fprintf(&b, "  %-80s max %7s  (%d)\n", what, since0(slices.Max(ds)), len(ds))
	}
	if b.Len() > 0 {
		fmt.Printf("\nagent suite timings (from the API write):\n%s", b.String())
	}
	b.Reset()
	for _, what := range timings.probeOrder {
		p := timings.probes[what]
		fmt.Fprintf(&b, "  %-80s %6d probes, %d wrong\n", what, p[0], p[1])
	}
	if b.Len() > 0 {
		fmt.Printf("\ncontinuous probes (wrong = a verdict the policies in force before or after do not give):\n%s",
			b.String())
	}
})

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }
func since0(d time.Duration) string   { return d.Round(time.Millisecond).String() }

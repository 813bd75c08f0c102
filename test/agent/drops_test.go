package agent

import (
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nftpolicy/nftpolicy/controllers"
)

// drops collects what an agent's drop log reports.
type drops struct {
	mu  sync.Mutex
	all []controllers.Drop
}

func (d *drops) add(x controllers.Drop) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.all = append(d.all, x)
}

func (d *drops) list() []controllers.Drop {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]controllers.Drop(nil), d.all...)
}

// policyPackets reads nftpolicy_policy_packets_total of one policy, direction and verdict from reg (-1 when
// the series does not exist).
func policyPackets(reg *prometheus.Registry, namespace, policy, direction, verdict string) float64 {
	GinkgoHelper()
	families, err := reg.Gather()
	Expect(err).NotTo(HaveOccurred())
	want := map[string]string{"namespace": namespace, "policy": policy, "direction": direction, "verdict": verdict}
	for _, f := range families {
		if f.GetName() != "nftpolicy_policy_packets_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			if labelsAre(m, want) {
				return m.GetCounter().GetValue()
			}
		}
	}
	return -1
}

func labelsAre(m *dto.Metric, want map[string]string) bool {
	if len(m.GetLabel()) != len(want) {
		return false
	}
	for _, l := range m.GetLabel() {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

// startWatchedAgent starts the world's agent with its drops collected and its metrics on a registry of their
// own, and waits until it is ready.
func (w *world) startWatchedAgent(ctx SpecContext) (*agentRun, *drops, *prometheus.Registry) {
	GinkgoHelper()
	seen, reg := &drops{}, prometheus.NewRegistry()
	a := w.startAgent(func(o *controllers.Options) {
		o.OnDrop = seen.add
		o.Registerer = reg
		o.DropEvents = true
	})
	a.waitReady(ctx)
	return a, seen, reg
}

var _ = Describe("Who dropped my packet", func() {
	It("logs each denied connection with both pods, the port and the isolating policies, and counts allowed and "+
		"dropped packets per policy", func(ctx SpecContext) {
		w := newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		// client may only talk to web
		w.createPolicy(ctx, &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Namespace: "srv", Name: "client-out"},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
				Egress: []networkingv1.NetworkPolicyEgressRule{{
					To: []networkingv1.NetworkPolicyPeer{podPeer(map[string]string{"app": "web"})},
				}},
			},
		})
		a, seen, reg := w.startWatchedAgent(ctx)
		w.expectFlows(ctx, "agent started", a.started,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"), denied("srv/client", "srv/stranger"))

		web, stranger, cli := w.key("srv/web"), w.key("srv/stranger"), w.key("srv/client")
		find := func(direction, src, dst string, family int) *controllers.Drop {
			for _, d := range seen.list() {
				if d.Direction == direction && d.SrcPod == src && d.DstPod == dst && d.Src.Is4() == (family == 4) {
					return &d
				}
			}
			return nil
		}
		for _, fam := range []int{4, 6} {
			var d *controllers.Drop
			Eventually(func() *controllers.Drop {
				d = find("ingress", stranger, web, fam)
				return d
			}).ShouldNot(BeNil(), "IPv%d: stranger -> web logged; drops seen: %v", fam, seen.list())
			Expect(d.Proto).To(Equal("tcp"))
			Expect(d.Port).To(BeEquivalentTo(port))
			Expect(d.Policies).To(Equal([]string{w.ns("srv") + "/web"}))
			Expect(d.Reason()).To(ContainSubstring(web + " is isolated for ingress by " + w.ns("srv") + "/web"))

			Eventually(func() *controllers.Drop {
				d = find("egress", cli, stranger, fam)
				return d
			}).ShouldNot(BeNil(), "IPv%d: client -> stranger logged; drops seen: %v", fam, seen.list())
			Expect(d.Policies).To(Equal([]string{w.ns("srv") + "/client-out"}))
		}
		for _, d := range seen.list() {
			Expect(d.SrcPod == cli && d.DstPod == web).To(BeFalse(), "client -> web is allowed, never logged: %+v", d)
		}

		By("an Event on web about the drop (--drop-events)")
		Eventually(ctx, func() []string {
			var list eventsv1.EventList
			Expect(k8s.List(ctx, &list, client.InNamespace(w.ns("srv")))).To(Succeed())
			var notes []string
			for _, ev := range list.Items {
				if ev.Regarding.Kind == "Pod" && ev.Regarding.Name == "web" && ev.Reason == controllers.ReasonPacketDropped {
					notes = append(notes, ev.Note)
				}
			}
			return notes
		}).WithTimeout(10*time.Second).Should(ContainElement(ContainSubstring(stranger+" -> "+web+" tcp/80")),
			"a PacketDropped Event on srv/web")

		By("the counters: web's policy allowed client and dropped stranger; client-out allowed web, dropped stranger")
		ns := w.ns("srv")
		Eventually(func() []float64 {
			return []float64{
				policyPackets(reg, ns, "web", "ingress", "allow"), policyPackets(reg, ns, "web", "ingress", "drop"),
				policyPackets(reg, ns, "client-out", "egress", "allow"), policyPackets(reg, ns, "client-out", "egress", "drop"),
			}
		}).Should(HaveEach(BeNumerically(">=", 2)), "allowed and dropped packets counted per policy (IPv4 and IPv6)")

		By("counting goes on: 5 more denied probes raise web's drop counter by at least 5")
		before := policyPackets(reg, ns, "web", "ingress", "drop")
		for range 5 {
			w.checkFlows(ctx, "still denied", denied("srv/stranger", "srv/web"))
		}
		Expect(policyPackets(reg, ns, "web", "ingress", "drop")-before).To(BeNumerically(">=", 10),
			"5 probes × 2 families, each at least one SYN")
	}, NodeTimeout(60*time.Second))

	It("lets through, logs and counts what an audited namespace's policies would drop, and enforces again when "+
		"the annotation goes", func(ctx SpecContext) {
		w := newWorld(ctx, map[string]map[string]string{"aud": nil, "enf": nil},
			pod("aud/web", map[string]string{"app": "web"}),
			pod("aud/client", map[string]string{"role": "client"}),
			pod("aud/stranger", map[string]string{"role": "stranger"}),
			pod("enf/web", map[string]string{"app": "web"}),
			pod("enf/stranger", map[string]string{"role": "stranger"}),
		)
		for _, ns := range []string{"aud", "enf"} {
			w.createPolicy(ctx, ingressPolicy(ns, "web", map[string]string{"app": "web"},
				podPeer(map[string]string{"role": "client"})))
		}
		w.annotateNamespace(ctx, "aud", "nftpolicy.dev/audit", "true")
		a, seen, reg := w.startWatchedAgent(ctx)
		w.expectFlows(ctx, "agent started, namespace aud in audit mode", a.started,
			allowed("aud/stranger", "aud/web"), allowed("aud/client", "aud/web"), denied("enf/stranger", "enf/web"))

		web, stranger := w.key("aud/web"), w.key("aud/stranger")
		Eventually(func() bool {
			for _, d := range seen.list() {
				if d.SrcPod == stranger && d.DstPod == web {
					return d.Audit && d.Direction == "ingress" && d.Port == port &&
						slices.Equal(d.Policies, []string{w.ns("aud") + "/web"})
				}
			}
			return false
		}).Should(BeTrue(), "aud/stranger -> aud/web logged as a would-be drop; drops seen: %v", seen.list())
		for _, d := range seen.list() {
			if d.DstPod == w.key("enf/web") {
				Expect(d.Audit).To(BeFalse(), "enf is enforced: %+v", d)
			}
			Expect(d.SrcPod == w.key("aud/client")).To(BeFalse(), "allowed flows are not logged: %+v", d)
		}
		Eventually(func() float64 { return policyPackets(reg, w.ns("aud"), "web", "ingress", "audit") }).
			Should(BeNumerically(">=", 2), "would-be drops counted with verdict audit")
		Expect(policyPackets(reg, w.ns("aud"), "web", "ingress", "drop")).To(BeNumerically("<=", 0),
			"nothing dropped in the audited namespace")

		By("removing the audit annotation: enforced at once")
		t := time.Now()
		w.annotateNamespace(ctx, "aud", "nftpolicy.dev/audit", "false")
		w.expectFlows(ctx, "audit annotation set to false", t,
			denied("aud/stranger", "aud/web"), allowed("aud/client", "aud/web"))
	}, NodeTimeout(60*time.Second))
})

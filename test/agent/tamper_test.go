package agent

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nftpolicy/nftpolicy/controllers"
)

// verifyInterval is the agents' verify interval in the tamper specs.
const verifyInterval = 500 * time.Millisecond

var _ = Describe("Tampering with the table", func() {
	var (
		w *world
		a *agentRun
	)

	BeforeEach(func(ctx SpecContext) {
		w = newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		a = w.startAgent(func(o *controllers.Options) { o.VerifyInterval = verifyInterval })
		a.waitReady(ctx)
		w.expectFlows(ctx, "agent started", a.started,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
	})

	// expectRepaired waits for the packets to agree again and for the agent to report a repair after
	// tampered, within the verify interval (plus the time of one sync).
	expectRepaired := func(ctx SpecContext, what string, tampered time.Time, flows ...flow) {
		GinkgoHelper()
		Eventually(ctx, func() []string { return w.mismatches(ctx, flows) }).
			WithTimeout(verifyInterval+time.Second).Should(BeEmpty(), what)
		recordTiming(what+" (probes)", time.Since(tampered))
		var repaired *controllers.Report
		Eventually(func() bool {
			for _, r := range a.syncs() {
				if r.Repaired && r.Err == nil && r.Start.After(tampered) {
					repaired = &r
					return true
				}
			}
			return false
		}).Should(BeTrue(), "%s: the agent reports a repair", what)
		took := repaired.Start.Add(repaired.Duration).Sub(tampered)
		recordTiming(what+" (repair applied)", took)
		// Due at most one verify interval after the tamper; the rest is one sync, with room for a loaded machine.
		Expect(took).To(BeNumerically("<=", verifyInterval+500*time.Millisecond),
			"%s: repaired %s after the tamper; the verify interval is %s", what, took, verifyInterval)
	}

	It("restores the table deleted by hand within the verify interval", func(ctx SpecContext) {
		before := w.table()
		Expect(before).NotTo(BeEmpty())
		t := time.Now()
		_, err := w.nft("delete", "table", "inet", "nftpolicy")
		Expect(err).NotTo(HaveOccurred())
		expectRepaired(ctx, "table deleted by hand", t,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
		Expect(w.table()).To(Equal(before), "the restored table is the one the agent had applied")
		Expect(a.readyz()).To(Succeed())
	}, NodeTimeout(30*time.Second))

	It("removes a rule added by hand to its forward chain within the verify interval", func(ctx SpecContext) {
		before := w.table()
		t := time.Now()
		_, err := w.nft("insert", "rule", "inet", "nftpolicy", "forward", "accept", "comment", `"tamper"`)
		Expect(err).NotTo(HaveOccurred())
		expectRepaired(ctx, "accept rule inserted by hand", t,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
		after := w.table()
		Expect(after).NotTo(ContainSubstring("tamper"))
		Expect(after).To(Equal(before))
	}, NodeTimeout(30*time.Second))

	It("restores the elements flushed by hand from its maps within the verify interval", func(ctx SpecContext) {
		before := w.table()
		for _, m := range []string{"ingress-v4", "ingress-v6"} {
			Expect(before).To(ContainSubstring("map "+m+" {"), "the compiled table has map %s", m)
		}
		t := time.Now()
		for _, m := range []string{"ingress-v4", "ingress-v6"} {
			_, err := w.nft("flush", "map", "inet", "nftpolicy", m)
			Expect(err).NotTo(HaveOccurred())
		}
		expectRepaired(ctx, "ingress maps flushed by hand", t,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
		Expect(w.table()).To(Equal(before))
	}, NodeTimeout(30*time.Second))

	It("refills its forward chain flushed by hand within the verify interval", func(ctx SpecContext) {
		before := w.table()
		t := time.Now()
		_, err := w.nft("flush", "chain", "inet", "nftpolicy", "forward")
		Expect(err).NotTo(HaveOccurred())
		expectRepaired(ctx, "forward chain flushed by hand", t,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
		Expect(w.table()).To(Equal(before))
	}, NodeTimeout(30*time.Second))
})

var _ = Describe("Tampering with one set element", func() {
	It("puts back the one verdict-map element deleted by hand within the verify interval", func(ctx SpecContext) {
		w := newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		a := w.startAgent(func(o *controllers.Options) { o.VerifyInterval = verifyInterval })
		a.waitReady(ctx)
		flows := []flow{denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web")}
		w.expectFlows(ctx, "agent started", a.started, flows...)
		before := w.table()
		web, ok := w.c.PodIP(w.ns("srv"), "web", 4)
		Expect(ok).To(BeTrue())

		By("deleting web's element from map ingress-v4: its IPv4 ingress is no longer isolated")
		// nft deletes an element only if it is there, so success means it was there and is gone now. Nothing here
		// reads the table back to see it gone: verification may put it back before any read (it did, under load).
		// That the agent found it missing is proved by its repair, which adds back that one element.
		t := time.Now()
		_, err := w.nft("delete", "element", "inet", "nftpolicy", "ingress-v4", "{", web.String(), "}")
		Expect(err).NotTo(HaveOccurred(), "web's element was in map ingress-v4, and is deleted")
		Eventually(ctx, func() []string { return w.mismatches(ctx, flows) }).
			WithTimeout(verifyInterval+time.Second).Should(BeEmpty(), "one element deleted by hand")
		recordTiming("one map element deleted by hand (probes)", time.Since(t))
		var repaired *controllers.Report
		Eventually(func() bool {
			for _, r := range a.syncs() {
				if r.Repaired && r.Err == nil && r.Start.After(t) {
					repaired = &r
					return true
				}
			}
			return false
		}).Should(BeTrue(), "the agent reports a repair")
		recordTiming("one map element deleted by hand (repair applied)", repaired.Start.Add(repaired.Duration).Sub(t))
		Expect(repaired.Plan.AddElements).To(HaveLen(1), "the repair adds elements to one map: %v", repaired.Plan)
		added := repaired.Plan.AddElements["ingress-v4"]
		Expect(added).To(HaveLen(1), "the repair adds back the one element")
		Expect(added[0].Addr).To(Equal(web), "the element added back is web's")
		Expect(repaired.Plan.DelElements).To(BeEmpty(), "the repair removes nothing")
		Expect(w.table()).To(Equal(before))
	}, NodeTimeout(30*time.Second))
})

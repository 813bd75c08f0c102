package agent

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// streamEvery is the period of the continuous probes: any moment longer than this in which a denied flow
// connects (or an allowed one is blocked) is caught.
const streamEvery = 20 * time.Millisecond

var _ = Describe("Agent restart over its own table", func() {
	var w *world

	BeforeEach(func(ctx SpecContext) {
		w = newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/other", map[string]string{"app": "other"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		a := w.startAgent(nil)
		a.waitReady(ctx)
		w.expectFlows(ctx, "first agent", a.started,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"), allowed("srv/stranger", "srv/other"))
	})

	It("adopts the table as it is when nothing changed: no batch, and no denied probe connects", func(ctx SpecContext) {
		before := w.table()
		deny := w.startStream(denied("srv/stranger", "srv/web"), streamEvery)
		allow := w.startStream(allowed("srv/client", "srv/web"), streamEvery)
		time.Sleep(200 * time.Millisecond)

		By("stopping the agent")
		w.last.stop()
		Expect(w.table()).To(Equal(before), "the stopped agent leaves its table in force")
		time.Sleep(200 * time.Millisecond)

		By("starting a new agent")
		b := w.startAgent(nil)
		b.waitReady(ctx)
		time.Sleep(300 * time.Millisecond)
		deny.expectClean("restart, nothing changed")
		allow.expectClean("restart, nothing changed")

		syncs := b.syncs()
		Expect(syncs).NotTo(BeEmpty())
		Expect(syncs[0].Err).NotTo(HaveOccurred())
		Expect(syncs[0].Plan.Empty()).To(BeTrue(),
			"the new agent's first sync should find the table it would write, and write nothing; it applied:\n%v",
			syncs[0].Plan)
		Expect(w.table()).To(Equal(before))
	}, NodeTimeout(60*time.Second))

	It("replaces the table in one batch when the cluster changed while no agent ran: no denied probe connects",
		func(ctx SpecContext) {
			deny := w.startStream(denied("srv/stranger", "srv/web"), streamEvery)
			allow := w.startStream(allowed("srv/client", "srv/web"), streamEvery)
			time.Sleep(200 * time.Millisecond)

			By("stopping the agent")
			w.last.stop()

			By("while no agent runs: a policy isolating other, allowing role=client")
			w.createPolicy(ctx, ingressPolicy("srv", "other", map[string]string{"app": "other"},
				podPeer(map[string]string{"role": "client"})))
			time.Sleep(200 * time.Millisecond)
			w.checkFlows(ctx, "the old table still in force", allowed("srv/stranger", "srv/other"))

			By("starting a new agent")
			t := time.Now()
			b := w.startAgent(nil)
			b.waitReady(ctx)
			w.expectFlows(ctx, "restart: the change made while no agent ran", t,
				denied("srv/stranger", "srv/other"), allowed("srv/client", "srv/other"))
			time.Sleep(200 * time.Millisecond)
			deny.expectClean("restart with a change")
			allow.expectClean("restart with a change")

			syncs := b.syncs()
			Expect(syncs).NotTo(BeEmpty())
			Expect(syncs[0].Err).NotTo(HaveOccurred())
			Expect(syncs[0].Plan.Empty()).To(BeFalse(), "the first sync applies the change")
		}, NodeTimeout(60*time.Second))
})

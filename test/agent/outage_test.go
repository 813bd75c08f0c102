package agent

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nftpolicy/nftpolicy/controllers"
)

const (
	// apiUnreachableAfter is the agents' APIUnreachableAfter in the outage specs. It must be longer than the
	// API server takes to stop (about 2 s, see the suite's setup): the agent's calls start failing only when
	// it is gone, so an agent that went not ready too early shows only between then and
	// stop+apiUnreachableAfter.
	apiUnreachableAfter = 4 * time.Second
	// reconnectTimeout bounds how long the agent may take to be ready again once the API server is back:
	// client-go's reflectors retry with their own exponential backoff (from 800 ms, doubling, with jitter), so
	// after an outage of a few seconds the next attempt can be several seconds away.
	reconnectTimeout = 30 * time.Second
)

// apiServerDown says stopAPIServer stopped the API server and startAPIServer has not started it yet.
var apiServerDown bool

// stopAPIServer stops the API server (etcd keeps running) and makes sure it runs again when the spec ends,
// also when the spec fails before startAPIServer.
func stopAPIServer() {
	GinkgoHelper()
	DeferCleanup(func() {
		if apiServerDown {
			startAPIServer()
		}
	})
	start := time.Now()
	apiServerDown = true
	Expect(testEnv.ControlPlane.APIServer.Stop()).To(Succeed(), "stop the API server")
	recordTiming("API server stop", time.Since(start))
}

// startAPIServer starts the API server stopped by stopAPIServer, with the same certificates and port.
func startAPIServer() {
	GinkgoHelper()
	start := time.Now()
	Expect(testEnv.ControlPlane.APIServer.Start()).To(Succeed(), "start the API server")
	apiServerDown = false
	recordTiming("API server start", time.Since(start))
}

var _ = Describe("API server outage", Serial, func() {
	var w *world

	BeforeEach(func(ctx SpecContext) {
		w = newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
	})

	agentOptions := func(o *controllers.Options) {
		o.APIUnreachableAfter = apiUnreachableAfter
		o.VerifyInterval = verifyInterval
	}

	It("holds the rules while the API server is down, goes not ready after APIUnreachableAfter, and converges "+
		"after it returns", func(ctx SpecContext) {
		a := w.startAgent(agentOptions)
		a.waitReady(ctx)
		w.expectFlows(ctx, "agent started", a.started,
			denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
		before := w.table()
		deny := w.startStream(denied("srv/stranger", "srv/web"), streamEvery)
		allow := w.startStream(allowed("srv/client", "srv/web"), streamEvery)

		By("stopping the API server")
		samples := a.sampleReadiness()
		stopped := time.Now()
		stopAPIServer()
		Eventually(a.readyz).WithTimeout(apiUnreachableAfter+10*time.Second).WithPolling(50*time.Millisecond).
			ShouldNot(Succeed(), "not ready once the API server has been unreachable for APIUnreachableAfter")
		Expect(a.Ready()).To(MatchError(ContainSubstring("API server unreachable")))
		time.Sleep(time.Second) // down a while longer, with the verify loop running
		Expect(w.table()).To(Equal(before), "the table is untouched while the API server is down")

		By("starting the API server again")
		restarted := time.Now()
		startAPIServer()
		deny.expectClean("API server down")
		allow.expectClean("API server down")
		Eventually(ctx, a.readyz).WithTimeout(reconnectTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
		recordTiming("API server started -> /readyz ready", time.Since(restarted))

		// Readiness: ready until the API server had been unreachable for APIUnreachableAfter, which cannot
		// be before stopped+APIUnreachableAfter; not ready after that until it came back.
		var notReady time.Time
		for _, s := range samples() {
			if s.at.Before(stopped.Add(apiUnreachableAfter)) {
				Expect(s.ready).To(BeTrue(), "/readyz at %s after the API server was stopped: not ready before "+
					"APIUnreachableAfter (%s)", s.at.Sub(stopped), apiUnreachableAfter)
			}
			if !s.ready && notReady.IsZero() {
				notReady = s.at
			}
		}
		Expect(notReady.IsZero()).To(BeFalse())
		recordTiming("API server stopped -> /readyz not ready", notReady.Sub(stopped))

		By("a change after the restart: stranger relabelled role=client")
		t := time.Now()
		w.relabelPod(ctx, "srv/stranger", map[string]string{"role": "client"})
		w.expectFlowsWithin(ctx, reconnectTimeout, "change after the API server restart", t,
			allowed("srv/stranger", "srv/web"))
	}, NodeTimeout(90*time.Second))

	// After the API server restarts, each informer's first watch (from the resourceVersion it had) is often
	// accepted and then ends at once with 410 "too old resource version"; the reflector then waits out a
	// backoff grown during the outage before it lists again. /readyz must not say ready before the informers
	// are really connected: a change made once it is ready reaches the kernel promptly.
	It("converges promptly once /readyz is ready again after an API server outage",
		func(ctx SpecContext) {
			a := w.startAgent(agentOptions)
			a.waitReady(ctx)
			w.expectFlows(ctx, "agent started", a.started, denied("srv/stranger", "srv/web"))

			stopAPIServer()
			Eventually(a.readyz).WithTimeout(apiUnreachableAfter + 10*time.Second).ShouldNot(Succeed())
			time.Sleep(time.Second)
			startAPIServer()
			Eventually(ctx, a.readyz).WithTimeout(reconnectTimeout).Should(Succeed())

			By("/readyz is ready: a change must reach the kernel as promptly as before the outage")
			t := time.Now()
			w.relabelPod(ctx, "srv/stranger", map[string]string{"role": "client"})
			w.expectFlows(ctx, "change right after /readyz is ready again", t, allowed("srv/stranger", "srv/web"))
		}, NodeTimeout(90*time.Second))

	It("keeps the previous table when an agent starts while the API server is down, and syncs when it returns",
		func(ctx SpecContext) {
			a := w.startAgent(agentOptions)
			a.waitReady(ctx)
			w.expectFlows(ctx, "agent started", a.started,
				denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"))
			before := w.table()
			deny := w.startStream(denied("srv/stranger", "srv/web"), streamEvery)
			allow := w.startStream(allowed("srv/client", "srv/web"), streamEvery)

			By("stopping the agent and the API server, then starting a new agent")
			a.stop()
			stopAPIServer()
			b := w.startAgent(agentOptions)
			Consistently(b.readyz).WithTimeout(apiUnreachableAfter+time.Second).ShouldNot(Succeed(),
				"not ready: no sync without a synced cache")
			Expect(b.syncs()).To(BeEmpty(), "no sync attempt before the cache has synced")
			Expect(w.table()).To(Equal(before), "the previous table is kept untouched")

			By("starting the API server again")
			restarted := time.Now()
			startAPIServer()
			Eventually(ctx, b.readyz).WithTimeout(reconnectTimeout).WithPolling(50 * time.Millisecond).Should(Succeed())
			recordTiming("API server started -> new agent ready", time.Since(restarted))
			time.Sleep(200 * time.Millisecond)
			deny.expectClean("agent started while the API server was down")
			allow.expectClean("agent started while the API server was down")
			syncs := b.syncs()
			Expect(syncs).NotTo(BeEmpty())
			Expect(syncs[0].Err).NotTo(HaveOccurred())
			Expect(syncs[0].Plan.Empty()).To(BeTrue(), "nothing changed: the first sync writes nothing")

			By("a change after the restart: stranger relabelled role=client")
			t := time.Now()
			w.relabelPod(ctx, "srv/stranger", map[string]string{"role": "client"})
			w.expectFlows(ctx, "change after the API server restart (new agent)", t, allowed("srv/stranger", "srv/web"))
		}, NodeTimeout(90*time.Second))
})

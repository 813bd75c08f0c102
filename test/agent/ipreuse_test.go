package agent

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	corev1 "k8s.io/api/core/v1"
)

var _ = Describe("Pod IP reuse", func() {
	It("makes the rules follow the pod that has the address now", func(ctx SpecContext) {
		// The harness pods srv/a and srv/db are network namespaces with fixed addresses; the API objects
		// holding those addresses are replaced under them. Probes "from srv/a" come from whichever pod has
		// srv/a's addresses now.
		w := newWorld(ctx, map[string]map[string]string{"srv": nil, "cli": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/db", map[string]string{"app": "db"}),
			pod("srv/a", map[string]string{"role": "client"}),
			pod("srv/other", map[string]string{"role": "none"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		w.createPolicy(ctx, ingressPolicy("srv", "db", map[string]string{"app": "db"}))
		a := w.startAgent(nil)
		a.waitReady(ctx)
		w.expectFlows(ctx, "initial policies", a.started,
			allowed("srv/a", "srv/web"), denied("srv/other", "srv/web"),
			denied("srv/a", "srv/db"), denied("srv/other", "srv/db"))

		By("a deleted; a2 (role=intruder) created with a's addresses")
		t := time.Now()
		w.deletePod(ctx, "srv/a")
		w.reuseIP(ctx, "srv/a", "srv/a2", map[string]string{"role": "intruder"})
		w.expectFlows(ctx, "peer IP reused by a pod with other labels", t,
			denied("srv/a", "srv/web"), allowed("srv/web", "srv/a"))

		By("a2 deleted; cli/a3 (role=client, but another namespace) created with the same addresses")
		t = time.Now()
		w.deletePod(ctx, "srv/a2")
		w.reuseIP(ctx, "srv/a", "cli/a3", map[string]string{"role": "client"})
		w.expectFlows(ctx, "peer IP reused by a pod with the same labels in another namespace", t,
			denied("srv/a", "srv/web"))

		By("a3 deleted; srv/a4 (role=client) created with the same addresses")
		t = time.Now()
		w.deletePod(ctx, "cli/a3")
		w.reuseIP(ctx, "srv/a", "srv/a4", map[string]string{"role": "client"})
		w.expectFlows(ctx, "peer IP reused by an allowed pod", t,
			allowed("srv/a", "srv/web"), denied("srv/other", "srv/web"))

		By("db completes (phase Succeeded: still listed, with its IPs); db2 (app=cache) created with its addresses")
		t = time.Now()
		w.setPhase(ctx, "srv/db", corev1.PodSucceeded)
		w.reuseIP(ctx, "srv/db", "srv/db2", map[string]string{"app": "cache"})
		w.expectFlows(ctx, "IP of a completed isolated pod reused by a pod no policy selects", t,
			allowed("srv/other", "srv/db"), allowed("srv/a", "srv/db"))

		By("db and db2 deleted; db3 (app=db, isolated) created with the same addresses")
		t = time.Now()
		w.deletePod(ctx, "srv/db")
		w.deletePod(ctx, "srv/db2")
		w.reuseIP(ctx, "srv/db", "srv/db3", map[string]string{"app": "db"})
		w.expectFlows(ctx, "IP of a deleted pod reused by an isolated pod", t,
			denied("srv/other", "srv/db"), denied("srv/a", "srv/db"))

		By("a4 completes; a5 (role=intruder) created with the same addresses")
		t = time.Now()
		w.setPhase(ctx, "srv/a4", corev1.PodSucceeded)
		w.reuseIP(ctx, "srv/a", "srv/a5", map[string]string{"role": "intruder"})
		w.expectFlows(ctx, "IP of a completed allowed pod reused by a pod with other labels", t,
			denied("srv/a", "srv/web"), allowed("srv/web", "srv/a"))
	}, NodeTimeout(60*time.Second))
})

package agent

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("NetworkPolicy lifecycle", func() {
	It("denies when a policy is created, follows pod and namespace relabels, and allows again when it is deleted",
		func(ctx SpecContext) {
			// srv/web is the server; srv/client a pod of its namespace; cli/far a pod of another namespace.
			w := newWorld(ctx, map[string]map[string]string{"srv": nil, "cli": {"team": "red"}},
				pod("srv/web", map[string]string{"app": "web"}),
				pod("srv/client", map[string]string{"role": "none"}),
				pod("cli/far", map[string]string{"role": "client"}),
			)
			a := w.startAgent(nil)
			a.waitReady(ctx)
			w.checkFlows(ctx, "no policy: everything connects",
				allowed("srv/client", "srv/web"), allowed("cli/far", "srv/web"), allowed("srv/web", "srv/client"))

			By("a policy isolating web, allowing role=client of its namespace and namespaces with team=blue")
			t := time.Now()
			w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
				podPeer(map[string]string{"role": "client"}), nsPeer(map[string]string{"team": "blue"})))
			w.expectFlows(ctx, "policy created", t,
				denied("srv/client", "srv/web"), denied("cli/far", "srv/web"),
				allowed("srv/web", "srv/client"), allowed("srv/web", "cli/far"), allowed("srv/client", "cli/far"))

			By("the client relabelled role=client")
			t = time.Now()
			w.relabelPod(ctx, "srv/client", map[string]string{"role": "client"})
			w.expectFlows(ctx, "pod relabelled into the allowed peers", t,
				allowed("srv/client", "srv/web"), denied("cli/far", "srv/web"))

			By("namespace cli relabelled team=blue")
			t = time.Now()
			w.relabelNamespace(ctx, "cli", map[string]string{"team": "blue"})
			w.expectFlows(ctx, "namespace relabelled into the allowed peers", t,
				allowed("cli/far", "srv/web"), allowed("srv/client", "srv/web"))

			By("namespace cli relabelled back to team=red")
			t = time.Now()
			w.relabelNamespace(ctx, "cli", map[string]string{"team": "red"})
			w.expectFlows(ctx, "namespace relabelled out of the allowed peers", t,
				denied("cli/far", "srv/web"), allowed("srv/client", "srv/web"))

			By("the client relabelled back out of the allowed peers")
			t = time.Now()
			w.relabelPod(ctx, "srv/client", map[string]string{"role": "none"})
			w.expectFlows(ctx, "pod relabelled out of the allowed peers", t,
				denied("srv/client", "srv/web"), denied("cli/far", "srv/web"))

			By("the policy deleted")
			t = time.Now()
			w.deletePolicy(ctx, "srv", "web")
			w.expectFlows(ctx, "policy deleted", t,
				allowed("srv/client", "srv/web"), allowed("cli/far", "srv/web"))

			Expect(a.Ready()).To(Succeed())
		}, NodeTimeout(60*time.Second))
})

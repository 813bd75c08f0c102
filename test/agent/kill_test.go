package agent

import (
	"fmt"
	"net/netip"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// The large change: bigPolicies policies of bigPeers ipBlocks each (one policy object of 100,000 would exceed
// etcd's request limit) select pods labelled big=yes. Labelling web so adds 100,000 interval elements to its
// group's sets in one batch; removing the label takes them out again.
const (
	bigPolicies = 10
	bigPeers    = 10_000
)

// bigPolicy isolates pods labelled big=yes for ingress and allows role=client and bigPeers single addresses in
// 10.(100+i).0.0/16, two apart so that the compiler cannot merge neighbours into one interval.
func bigPolicy(i int) *networkingv1.NetworkPolicy {
	peers := []networkingv1.NetworkPolicyPeer{podPeer(map[string]string{"role": "client"})}
	for k := range bigPeers {
		ip := netip.AddrFrom4([4]byte{10, byte(100 + i), byte(k / 128), byte(2 * (k % 128))})
		peers = append(peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: ip.String() + "/32"}})
	}
	return ingressPolicy("srv", fmt.Sprintf("big-%d", i), map[string]string{"big": "yes"}, peers...)
}

// killFractions are when each round kills the agent, as fractions of the time the uninterrupted change took
// from the API write to the applied batch: from before the agent has seen the event, through its build,
// compile and send, to well after the commit.
var killFractions = []float64{0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 3}

var _ = Describe("Agent killed (SIGKILL) while it applies a large change", func() {
	It("leaves the old table or the new one, never a mix; no probe gets a verdict neither gives; a new agent "+
		"converges", func(ctx SpecContext) {
		w := newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/other", map[string]string{"app": "other"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		for i := range bigPolicies {
			w.createPolicy(ctx, bigPolicy(i))
		}
		conn, err := kernel.Open(w.c.NodeNetnsPath(w.node))
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(conn.Close)
		read := func() *nft.Table {
			GinkgoHelper()
			t, err := conn.Read()
			Expect(err).NotTo(HaveOccurred())
			return t
		}
		// The same in both states: web with or without the big policies.
		flows := []flow{denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"),
			allowed("srv/stranger", "srv/other")}

		a := w.startAgentProc()
		Eventually(ctx, func() []string { return w.mismatches(ctx, flows) }).WithTimeout(30*time.Second).
			Should(BeEmpty(), "first agent converged; its log:\n%s", a.log())
		Eventually(func() bool { _, ok := a.appliedAfter(a.started); return ok }).Should(BeTrue())
		small := read()
		var streams []*stream
		for _, f := range flows {
			streams = append(streams, w.startStream(f, streamEvery))
		}
		setBig := func(big bool) time.Time {
			labels := map[string]string{"app": "web"}
			if big {
				labels["big"] = "yes"
			}
			t := time.Now()
			w.relabelPod(ctx, "srv/web", labels)
			return t
		}

		// The second time is the one the kills are timed by: an agent that has compiled the big policies once
		// keeps them (build.Builder), as every agent started below has when its turn comes.
		var took time.Duration
		var large *nft.Table
		for i := range 2 {
			By(fmt.Sprintf("the change without a kill (%d of 2), to time it", i+1))
			t := setBig(true)
			Eventually(func() bool { _, ok := a.appliedAfter(t); return ok }).WithTimeout(60*time.Second).
				Should(BeTrue(), "the large change applied; agent log:\n%s", a.log())
			at, _ := a.appliedAfter(t)
			took = at.Sub(t)
			large = read()
			Expect(elements(large) - elements(small)).To(BeNumerically(">=", bigPolicies*bigPeers))
			t = setBig(false)
			Eventually(func() bool { _, ok := a.appliedAfter(t); return ok }).WithTimeout(60 * time.Second).
				Should(BeTrue())
			Expect(nft.Diff(read(), small).Empty()).To(BeTrue(), "back to small")
		}
		recordTiming("100,000-element change: API write -> batch applied", took)

		outcomes := map[string]int{}
		for _, f := range killFractions {
			By(fmt.Sprintf("labelling web big=yes and killing the agent %.2f x %s after the write", f,
				took.Round(time.Millisecond)))
			setBig(true)
			time.Sleep(time.Duration(f * float64(took)))
			a.kill()
			got := read()
			switch {
			case nft.Diff(got, small).Empty():
				outcomes["old table"]++
			case nft.Diff(got, large).Empty():
				outcomes["new table"]++
			default:
				Fail(fmt.Sprintf("killed %.2f x %s after the write: the table is neither the old nor the new one; "+
					"from the old it differs by %s, from the new by %s", f, took, planSummary(nft.Diff(small, got)),
					planSummary(nft.Diff(large, got))))
			}
			restarted := time.Now()
			a = w.startAgentProc()
			a.waitReady(ctx)
			if at, ok := a.appliedAfter(restarted); ok {
				recordTiming("killed before the commit: new agent start -> the change applied", at.Sub(restarted))
			} else {
				recordTiming("killed after the commit: new agent start -> ready, nothing to apply", time.Since(restarted))
			}
			Expect(nft.Diff(read(), large).Empty()).To(BeTrue(), "the new agent's table is the new one; its log:\n%s",
				a.log())

			t := setBig(false)
			Eventually(func() bool { _, ok := a.appliedAfter(t); return ok }).WithTimeout(60*time.Second).
				Should(BeTrue(), "back to small; agent log:\n%s", a.log())
			Expect(nft.Diff(read(), small).Empty()).To(BeTrue(), "back to small")
		}
		GinkgoWriter.Printf("outcomes of %d kills: %v\n", len(killFractions), outcomes)
		for i, s := range streams {
			s.expectClean("agent killed while applying a large change: " + flows[i].from + " -> " + flows[i].to)
		}
		Expect(outcomes).To(HaveKey("old table"), "some kill must land before the commit")
		Expect(outcomes).To(HaveKey("new table"), "some kill must land after the commit")
	}, NodeTimeout(4*time.Minute))
})

// elements counts the set and map elements of t.
func elements(t *nft.Table) int {
	n := 0
	for _, s := range t.Sets {
		n += len(s.Elements)
	}
	return n
}

// planSummary says how big a plan is, for failure messages.
func planSummary(p *nft.Plan) string {
	return fmt.Sprintf("%d sets gaining elements, %d losing, %d new sets, %d new chains, %d chains written, "+
		"%d sets and %d chains deleted", len(p.AddElements), len(p.DelElements), len(p.AddSets), len(p.AddChains),
		len(p.WriteChains), len(p.DelSets), len(p.DelChains))
}

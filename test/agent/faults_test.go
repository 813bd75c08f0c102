package agent

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nftpolicy/nftpolicy/controllers"
)

// agentDownFor is how long no agent runs while the cluster's policies change (the issue says a minute).
const agentDownFor = time.Minute

var _ = Describe("Agent stopped while the policies change", func() {
	It("keeps the old table in force the whole time, then a new agent moves to the new policies in one batch: "+
		"no flow denied before and after is ever open", func(ctx SpecContext) {
		w := newWorld(ctx, map[string]map[string]string{"srv": nil, "ext": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/other", map[string]string{"app": "other"}),
			pod("srv/legacy", map[string]string{"app": "legacy"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
			pod("ext/probe", map[string]string{"role": "probe"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		w.createPolicy(ctx, ingressPolicy("srv", "legacy", map[string]string{"app": "legacy"})) // deny all
		a := w.startAgent(nil)
		a.waitReady(ctx)
		// The same before and after: checked by continuous probes from before the stop to after the new agent.
		same := []flow{denied("srv/stranger", "srv/web"), allowed("srv/client", "srv/web"),
			allowed("srv/client", "srv/other")}
		// What the changes made while no agent runs turn around: in force before, not until the new agent.
		before := []flow{allowed("srv/stranger", "srv/other"), denied("ext/probe", "srv/web"),
			denied("srv/client", "srv/legacy")}
		after := []flow{denied("srv/stranger", "srv/other"), allowed("ext/probe", "srv/web"),
			allowed("srv/client", "srv/legacy")}
		w.expectFlows(ctx, "first agent", a.started, append(same, before...)...)
		table := w.table()
		var sameStreams, beforeStreams []*stream
		for _, f := range same {
			sameStreams = append(sameStreams, w.startStream(f, streamEvery))
		}
		for _, f := range before {
			beforeStreams = append(beforeStreams, w.startStream(f, 5*streamEvery))
		}

		By(fmt.Sprintf("stopping the agent for %s", agentDownFor))
		a.stop()
		stopped := time.Now()
		changes := []struct {
			what string
			do   func()
		}{
			{"policy other: isolates app=other, allows role=client", func() {
				w.createPolicy(ctx, ingressPolicy("srv", "other", map[string]string{"app": "other"},
					podPeer(map[string]string{"role": "client"})))
			}},
			{"policy web: also allows namespaces labelled team=friends; namespace ext labelled so", func() {
				w.deletePolicy(ctx, "srv", "web")
				w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
					podPeer(map[string]string{"role": "client"}), nsPeer(map[string]string{"team": "friends"})))
				w.relabelNamespace(ctx, "ext", map[string]string{"team": "friends"})
			}},
			{"policy legacy deleted", func() { w.deletePolicy(ctx, "srv", "legacy") }},
		}
		for i, c := range changes {
			time.Sleep(time.Until(stopped.Add(agentDownFor * time.Duration(i+1) / time.Duration(len(changes)+1))))
			By("while no agent runs: " + c.what)
			c.do()
		}
		time.Sleep(time.Until(stopped.Add(agentDownFor)))
		Expect(w.table()).To(Equal(table), "nothing touched the table while no agent ran")
		for i, s := range beforeStreams {
			s.expectClean(fmt.Sprintf("no agent for %s: old verdict %s -> %s", agentDownFor, before[i].from, before[i].to))
		}

		By("starting a new agent")
		t := time.Now()
		b := w.startAgent(nil)
		b.waitReady(ctx)
		w.expectFlows(ctx, "agent started after a minute of changes", t, append(same, after...)...)
		time.Sleep(200 * time.Millisecond)
		for i, s := range sameStreams {
			s.expectClean(fmt.Sprintf("agent stopped %s while policies changed: %s -> %s", agentDownFor, same[i].from,
				same[i].to))
		}
		var applied []controllers.Report
		for _, r := range b.syncs() {
			Expect(r.Err).NotTo(HaveOccurred())
			if !r.Plan.Empty() {
				applied = append(applied, r)
			}
		}
		Expect(applied).To(HaveLen(1), "the new agent moves to the new policies in one batch")
	}, NodeTimeout(agentDownFor+time.Minute))
})

var _ = Describe("Control plane crashes", Serial, func() {
	It("holds the rules while etcd, then the API server, is killed (SIGKILL) and restarted, and converges after "+
		"each", func(ctx SpecContext) {
		w := newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/client", map[string]string{"role": "client"}),
			pod("srv/stranger", map[string]string{"role": "stranger"}),
			pod("srv/late", map[string]string{"role": "late"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		a := w.startAgent(func(o *controllers.Options) {
			o.APIUnreachableAfter = apiUnreachableAfter
			o.VerifyInterval = verifyInterval
		})
		a.waitReady(ctx)
		w.expectFlows(ctx, "agent started", a.started,
			denied("srv/stranger", "srv/web"), denied("srv/late", "srv/web"), allowed("srv/client", "srv/web"))

		for _, crash := range []struct {
			what    string
			kill    func()
			restart func()
			admit   string // the pod relabelled role=client afterwards
		}{
			{"etcd", func() { killProcess("etcd", etcdDir) }, restartEtcd, "srv/stranger"},
			{"the API server", func() { killProcess("kube-apiserver", certDir) }, restartAPIServer, "srv/late"},
		} {
			flows := []flow{denied("srv/late", "srv/web"), allowed("srv/client", "srv/web")}
			if crash.admit == "srv/stranger" {
				flows = append(flows, denied("srv/stranger", "srv/web"))
			}
			var streams []*stream
			for _, f := range flows {
				streams = append(streams, w.startStream(f, streamEvery))
			}
			table := w.table()

			By("killing " + crash.what)
			crash.kill()
			time.Sleep(3 * time.Second)
			Expect(w.table()).To(Equal(table), "the table is untouched while %s is down", crash.what)

			By("starting " + crash.what + " again")
			restarted := time.Now()
			crash.restart()
			recordTiming(crash.what+" killed: restart took", time.Since(restarted))
			for i, s := range streams {
				s.expectClean(fmt.Sprintf("%s killed and restarted: %s -> %s", crash.what, flows[i].from, flows[i].to))
			}

			By("a change after " + crash.what + " is back: " + crash.admit + " relabelled role=client")
			t := time.Now()
			w.relabelPod(ctx, crash.admit, map[string]string{"role": "client"})
			w.expectFlowsWithin(ctx, reconnectTimeout, "change after "+crash.what+" was killed and restarted", t,
				allowed(crash.admit, "srv/web"))
		}
	}, NodeTimeout(3*time.Minute))
})

// killProcess sends SIGKILL to the one process running binary (by name) whose command line mentions dir (the
// suite's own directory of that process), and waits until it is gone.
func killProcess(binary, dir string) {
	GinkgoHelper()
	entries, err := os.ReadDir("/proc")
	Expect(err).NotTo(HaveOccurred())
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0})
		if filepath.Base(string(args[0])) == binary && bytes.Contains(cmdline, []byte(dir)) {
			pids = append(pids, pid)
		}
	}
	Expect(pids).To(HaveLen(1), "one %s process of this suite (mentioning %s)", binary, dir)
	Expect(syscall.Kill(pids[0], syscall.SIGKILL)).To(Succeed())
	stat := filepath.Join("/proc", strconv.Itoa(pids[0]), "stat")
	Eventually(func() bool {
		b, err := os.ReadFile(stat)
		return err != nil || bytes.Contains(b, []byte(") Z ")) // gone, or a zombie until envtest waits for it
	}).WithTimeout(10*time.Second).Should(BeTrue(), "%s (pid %d) gone", binary, pids[0])
}

// restartEtcd starts etcd again on its data directory (Stop only tidies up after the kill).
func restartEtcd() {
	GinkgoHelper()
	Expect(testEnv.ControlPlane.Etcd.Stop()).To(Succeed())
	Expect(testEnv.ControlPlane.Etcd.Start()).To(Succeed(), "start etcd")
}

// restartAPIServer starts the API server again with the same certificates and port.
func restartAPIServer() {
	GinkgoHelper()
	Expect(testEnv.ControlPlane.APIServer.Stop()).To(Succeed())
	startAPIServer()
}

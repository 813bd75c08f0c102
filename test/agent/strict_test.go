package agent

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// streamPort is where the spec's own listener in web's namespace accepts: the harness's listeners on port 80
// close every connection at once, and strict mode is about connections that stay open.
const streamPort = 7000

// tcpStream is one long-lived TCP connection between two pods: both ends, held by the test.
type tcpStream struct {
	family         int
	client, server net.Conn
}

// podNetnsPath finds the network namespace of pod short: the one of the node's pod namespaces that holds the
// pod's IPv4 address (the harness names them after the node's namespace, but does not say which is whose).
func (w *world) podNetnsPath(short string) string {
	GinkgoHelper()
	ns, name, _ := strings.Cut(w.key(short), "/")
	ip, ok := w.c.PodIP(ns, name, 4)
	Expect(ok).To(BeTrue(), "pod %s has an IPv4 address", short)
	entries, err := os.ReadDir(netns.Dir)
	Expect(err).NotTo(HaveOccurred())
	prefix := w.c.NodeNetns(w.node) + "p"
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := netns.Path(e.Name())
		var addrs []net.Addr
		Expect(netns.InNetns(path, func() (err error) {
			addrs, err = net.InterfaceAddrs()
			return err
		})).To(Succeed())
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.Equal(ip.AsSlice()) {
				return path
			}
		}
	}
	Fail("no network namespace holds " + ip.String() + " of pod " + short)
	return ""
}

// openStreams listens on streamPort in pod to's namespace and connects to it from pod from's, in each family.
func (w *world) openStreams(from, to string) []tcpStream {
	GinkgoHelper()
	var ln net.Listener
	Expect(netns.InNetns(w.podNetnsPath(to), func() (err error) {
		ln, err = net.Listen("tcp", fmt.Sprintf(":%d", streamPort))
		return err
	})).To(Succeed())
	DeferCleanup(ln.Close)
	fromPath := w.podNetnsPath(from)
	ns, name, _ := strings.Cut(w.key(to), "/")
	var out []tcpStream
	for _, fam := range []int{4, 6} {
		ip, ok := w.c.PodIP(ns, name, fam)
		Expect(ok).To(BeTrue())
		var c net.Conn
		Expect(netns.InNetns(fromPath, func() (err error) {
			c, err = net.DialTimeout("tcp", netip.AddrPortFrom(ip, streamPort).String(), time.Second)
			return err
		})).To(Succeed(), "connect %s -> %s IPv%d", from, to, fam)
		DeferCleanup(c.Close)
		s, err := ln.Accept()
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s.Close)
		out = append(out, tcpStream{family: fam, client: c, server: s})
	}
	return out
}

// passes writes msg on from and reports whether exactly msg arrives on to within limit.
func passes(from, to net.Conn, msg string, limit time.Duration) bool {
	GinkgoHelper()
	_, err := from.Write([]byte(msg))
	Expect(err).NotTo(HaveOccurred(), "write %q", msg)
	Expect(to.SetReadDeadline(time.Now().Add(limit))).To(Succeed())
	buf := make([]byte, len(msg))
	n, err := to.Read(buf) // messages are small and sent one at a time: one read gets a whole one
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return false
	}
	Expect(err).NotTo(HaveOccurred(), "read %q", msg)
	Expect(string(buf[:n])).To(Equal(msg), "the bytes that arrived")
	return true
}

// firstLost writes on s's client every 10 ms until a message does not reach the server within 200 ms, and
// returns when that message was sent; the zero time when every message until deadline arrived.
func firstLost(s tcpStream, deadline time.Time) time.Time {
	for time.Now().Before(deadline) {
		sent := time.Now()
		if !passes(s.client, s.server, "tick", 200*time.Millisecond) {
			return sent
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Time{}
}

// applied waits for the agent's first sync after t that applied a batch, and returns its report.
func (a *agentRun) applied(t time.Time) controllers.Report {
	GinkgoHelper()
	var rep controllers.Report
	Eventually(func() bool {
		i := slices.IndexFunc(a.syncs(), func(r controllers.Report) bool {
			return r.Err == nil && r.Plan != nil && !r.Plan.Empty() && r.Start.Add(r.Duration).After(t)
		})
		if i >= 0 {
			rep = a.syncs()[i]
		}
		return i >= 0
	}).WithTimeout(convergeTimeout).Should(BeTrue(), "the agent applies the change")
	return rep
}

var _ = Describe("Strict mode", func() {
	// web admits role=client; client holds a connection to web in each family; then client loses the label.
	setup := func(ctx SpecContext, strict bool) (*world, *agentRun, []tcpStream) {
		w := newWorld(ctx, map[string]map[string]string{"srv": nil},
			pod("srv/web", map[string]string{"app": "web"}),
			pod("srv/client", map[string]string{"role": "client"}),
		)
		w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
			podPeer(map[string]string{"role": "client"})))
		a := w.startAgent(func(o *controllers.Options) { o.Strict = strict })
		a.waitReady(ctx)
		w.expectFlows(ctx, "agent started", a.started, allowed("srv/client", "srv/web"))
		streams := w.openStreams("srv/client", "srv/web")
		for _, s := range streams {
			Expect(passes(s.client, s.server, "hello", time.Second)).To(BeTrue(), "IPv%d: client -> web", s.family)
			Expect(passes(s.server, s.client, "hi", time.Second)).To(BeTrue(), "IPv%d: web -> client", s.family)
		}
		return w, a, streams
	}

	It("cuts an established connection as soon as a policy change denies it, and it stays cut", func(ctx SpecContext) {
		w, a, streams := setup(ctx, true)
		Expect(w.table()).To(ContainSubstring("ct state new tcp flags != syn / fin,syn,rst,ack drop"))

		changed := time.Now()
		w.relabelPod(ctx, "srv/client", map[string]string{"role": "former-client"})
		cutAt := make([]time.Time, len(streams))
		done := make(chan struct{}, len(streams))
		for i, s := range streams {
			go func() {
				defer GinkgoRecover()
				defer func() { done <- struct{}{} }()
				cutAt[i] = firstLost(s, changed.Add(convergeTimeout))
			}()
		}
		for range streams {
			<-done
		}
		rep := a.applied(changed)
		Expect(rep.StrictErr).NotTo(HaveOccurred())
		Expect(rep.StrictCut).To(BeNumerically(">=", 2), "the sync's report counts both connections")
		synced := rep.Start.Add(rep.Duration) // the batch applied and the strict pass done
		for i, s := range streams {
			Expect(cutAt[i].IsZero()).To(BeFalse(), "IPv%d: the connection is cut", s.family)
			Expect(cutAt[i].Sub(synced)).To(BeNumerically("<", time.Second),
				"IPv%d: cut within a second of the agent applying the change", s.family)
			recordTiming(fmt.Sprintf("strict: relabel -> IPv%d connection cut (first write lost, 10 ms polls)",
				s.family), cutAt[i].Sub(changed))
		}
		recordTiming("strict: relabel -> batch applied and strict pass done", synced.Sub(changed))

		By("it stays cut: the client's retransmissions, and web writing (a mid-stream segment from the side no " +
			"policy restricts, which nf_conntrack_tcp_loose=1 would take for a new flow) get nowhere")
		for _, s := range streams {
			Expect(passes(s.server, s.client, "from web", 1500*time.Millisecond)).To(BeFalse(),
				"IPv%d: web -> client after the cut", s.family)
			Expect(passes(s.client, s.server, "again", 500*time.Millisecond)).To(BeFalse(),
				"IPv%d: client -> web after the cut", s.family)
		}
		w.checkFlows(ctx, "new connections denied too", denied("srv/client", "srv/web"))
	}, NodeTimeout(60*time.Second))

	It("is off by default: the established connection keeps working after the change", func(ctx SpecContext) {
		w, a, streams := setup(ctx, false)
		Expect(w.table()).NotTo(ContainSubstring("tcp flags"))

		changed := time.Now()
		w.relabelPod(ctx, "srv/client", map[string]string{"role": "former-client"})
		rep := a.applied(changed)
		Expect(rep.StrictCut).To(BeZero())
		w.checkFlows(ctx, "new connections denied", denied("srv/client", "srv/web"))
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			for _, s := range streams {
				Expect(passes(s.client, s.server, "tick", time.Second)).To(BeTrue(), "IPv%d: client -> web", s.family)
				Expect(passes(s.server, s.client, "tock", time.Second)).To(BeTrue(), "IPv%d: web -> client", s.family)
			}
		}
	}, NodeTimeout(60*time.Second))
})

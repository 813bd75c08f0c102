package harness

import (
	"context"
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// TestNodeServers: a node's UDP echo server and raw SCTP receiver answer probes from a pod of another node (and of
// its own), a port without a server does not, and a ruleset dropping the traffic on the client's node stops them.
func TestNodeServers(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(Routed, 2, 1)
	cfg.ProbeTimeout = 500 * time.Millisecond
	c := New(t, cfg)
	const udpPort, sctpPort = 5300, 9100
	if err := c.ListenOnNodeUDP("node-a", udpPort); err != nil {
		t.Fatal(err)
	}
	rx, err := c.ListenOnNodeSCTP("node-a", sctpPort)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ListenOnNodeUDP("node-z", udpPort); err == nil {
		t.Error("ListenOnNodeUDP on an unknown node: no error")
	}
	if _, err := c.ListenOnNodeSCTP("node-a", 0); err == nil {
		t.Error("ListenOnNodeSCTP on port 0: no error")
	}
	ctx := context.Background()
	check := func(what, from string, want map[string]bool) {
		t.Helper()
		for fam, ip := range map[int]netip.Addr{4: c.NodeIPs("node-a")[0], 6: c.NodeIPs("node-a")[1]} {
			got := map[string]bool{
				"udp":        c.ProbeAddr(ctx, from, netip.AddrPortFrom(ip, udpPort), corev1.ProtocolUDP, ""),
				"udp-closed": c.ProbeAddr(ctx, from, netip.AddrPortFrom(ip, udpPort+1), corev1.ProtocolUDP, ""),
				"sctp":       c.ProbeNodeSCTP(ctx, from, rx, sctpPort, fam),
				"sctp-other": c.ProbeNodeSCTP(ctx, from, rx, sctpPort+1, fam),
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: %s -> node-a (%s) %s: connected=%v, want %v", what, from, ip, k, got[k], w)
				}
			}
		}
	}
	open := map[string]bool{"udp": true, "udp-closed": false, "sctp": true, "sctp-other": false}
	check("no ruleset", "ns0/pod-b0", open)
	check("no ruleset, same node", "ns0/pod-a0", open)
	if err := c.LoadNft("node-b", forwardTable("meta l4proto { udp, sctp } drop")); err != nil {
		t.Fatal(err)
	}
	check("udp and sctp dropped on node-b", "ns0/pod-b0", map[string]bool{"udp": false, "sctp": false})
	check("node-a's own pod, not forwarded by node-b", "ns0/pod-a0", open)
}

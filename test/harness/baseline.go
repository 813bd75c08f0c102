package harness

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// checkBaseline probes every pod from every other pod on every container
// port it declares (TCP, UDP and SCTP) in each family; with no ruleset
// loaded all must connect, so a listener that never came up cannot make a
// probe that policy should block pass unnoticed. The probes run in
// parallel (Run). Probes that fail are retried twice (the first packets of
// a fresh namespace may race link setup); what still fails is reported
// together with addresses, routes and neighbours of the namespaces
// involved. It returns the number of probes.
func (c *Cluster) checkBaseline() (int, error) {
	probes := c.baselineProbes()
	todo := probes
	for attempt := 0; attempt < 3 && len(todo) > 0; attempt++ {
		if attempt > 0 {
			c.t.Logf("harness: cluster %s: %d baseline probes failed, retrying: %v", c.id, len(todo), todo[0])
			time.Sleep(200 * time.Millisecond)
		}
		res := c.Run(context.Background(), todo)
		var failed []Probe
		for i, ok := range res {
			if !ok {
				failed = append(failed, todo[i])
			}
		}
		todo = failed
	}
	if len(todo) == 0 {
		return len(probes), nil
	}
	lines := make([]string, 0, 21)
	involved := map[string]bool{}
	for i, p := range todo {
		involved[p.From], involved[p.To] = true, true
		if i < 20 {
			lines = append(lines, p.String())
		}
	}
	if len(todo) > 20 {
		lines = append(lines, fmt.Sprintf("... and %d more", len(todo)-20))
	}
	return len(probes), fmt.Errorf("baseline connectivity broken (no ruleset loaded), %d of %d probes failed:\n  %s\n%s",
		len(todo), len(probes), strings.Join(lines, "\n  "), c.diagnose(involved))
}

// diagnose dumps addresses, routes and neighbours of the nodes and of up to
// six of the given pods.
func (c *Cluster) diagnose(pods map[string]bool) string {
	var nss []string
	for _, n := range c.nodes {
		nss = append(nss, n.netns)
	}
	for _, p := range c.podsWithIP() {
		if pods[p.key] && len(nss) < len(c.nodes)+6 {
			nss = append(nss, p.netns)
		}
	}
	var b strings.Builder
	for _, ns := range nss {
		out, err := netns.Exec(ns, "", "sh", "-c", "ip -br link; ip -br addr; ip route; ip -6 route; ip neigh")
		fmt.Fprintf(&b, "--- netns %s (err %v)\n%s", ns, err, out)
	}
	return b.String()
}

// baselineProbes lists, for every ordered pair of distinct pods with an IP,
// every port the destination declares, in each family.
func (c *Cluster) baselineProbes() []Probe {
	var probes []Probe
	for _, dst := range c.podsWithIP() {
		type pp struct {
			proto corev1.Protocol
			port  int32
		}
		var ports []pp
		for _, port := range dst.tcp {
			ports = append(ports, pp{corev1.ProtocolTCP, port})
		}
		for _, port := range dst.udp {
			ports = append(ports, pp{corev1.ProtocolUDP, port})
		}
		for _, port := range slices.Sorted(maps.Keys(dst.sctp)) {
			ports = append(ports, pp{corev1.ProtocolSCTP, port})
		}
		for _, src := range c.podsWithIP() {
			if src == dst {
				continue
			}
			for _, fam := range c.families() {
				for _, p := range ports {
					probes = append(probes, Probe{From: src.key, To: dst.key, Protocol: p.proto, Port: p.port, Family: fam})
				}
			}
		}
	}
	return probes
}

func (c *Cluster) families() []int {
	var f []int
	if c.cfg.IPv4 {
		f = append(f, 4)
	}
	if c.cfg.IPv6 {
		f = append(f, 6)
	}
	return f
}

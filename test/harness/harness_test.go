package harness

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("the harness tests need root (network namespaces, nftables)")
	}
}

var testPorts = []corev1.ContainerPort{
	{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP},
	{Name: "alt", ContainerPort: 8080},
	{Name: "dns", ContainerPort: 53, Protocol: corev1.ProtocolUDP},
	{Name: "sctp", ContainerPort: 9999, Protocol: corev1.ProtocolSCTP},
}

func testConfig(topo Topology, nodes, podsPerNode int) Config {
	cfg := Config{Topology: topo, IPv4: true, IPv6: true}
	for i := range nodes {
		name := fmt.Sprintf("node-%c", 'a'+i)
		cfg.Nodes = append(cfg.Nodes, name)
		for k := range podsPerNode {
			cfg.Pods = append(cfg.Pods, PodSpec{
				Namespace: fmt.Sprintf("ns%d", k%2),
				Name:      fmt.Sprintf("pod-%c%d", 'a'+i, k),
				Node:      name,
				Labels:    map[string]string{"app": fmt.Sprintf("app%d", k)},
				Ports:     testPorts,
			})
		}
	}
	return cfg
}

// allPairs returns probes from every pod to every other pod for each port
// and family.
func allPairs(c *Cluster, ports []corev1.ContainerPort) []Probe {
	var out []Probe
	for _, src := range c.Pods() {
		for _, dst := range c.Pods() {
			if src.Name == dst.Name && src.Namespace == dst.Namespace || dst.Status.PodIP == "" || src.Status.PodIP == "" {
				continue
			}
			for _, p := range ports {
				for _, fam := range []int{4, 6} {
					out = append(out, Probe{
						From: src.Namespace + "/" + src.Name, To: dst.Namespace + "/" + dst.Name,
						Protocol: p.Protocol, Port: p.ContainerPort, Family: fam,
					})
				}
			}
		}
	}
	return out
}

// expectResults fails the test for every probe whose result differs from
// want(probe).
func expectResults(t *testing.T, probes []Probe, res []bool, want func(Probe) bool) {
	t.Helper()
	bad := 0
	for i, p := range probes {
		if res[i] != want(p) {
			bad++
			if bad <= 20 {
				t.Errorf("probe %v: connected=%v, want %v", p, res[i], want(p))
			}
		}
	}
	if bad > 20 {
		t.Errorf("... %d wrong results in all", bad)
	}
}

// ownNetns lists the namespaces whose names start with prefix.
func ownNetns(t *testing.T, prefix string) []string {
	t.Helper()
	entries, err := os.ReadDir(netns.Dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// forwardTable returns table inet nftpolicy with an accepting forward chain
// holding one rule. (nft 1.0.6 wants a newline or ';' after each closing
// brace, so the one-line form "... drop } }" does not parse.)
func forwardTable(rule string) string {
	return "table inet nftpolicy {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\t" +
		rule + "\n\t}\n}\n"
}

func TestTopologies(t *testing.T) {
	requireRoot(t)
	for _, topo := range []Topology{Bridge, Routed} {
		var id string
		t.Run(string(topo), func(t *testing.T) {
			c := New(t, testConfig(topo, 2, 3))
			id = c.id
			if got := ownNetns(t, id); len(got) != 1+2+6 {
				t.Errorf("namespaces %v, want 9", got)
			}
			checkCluster(t, c)
		})
		if left := ownNetns(t, id+"-"); len(left) > 0 {
			t.Errorf("%s: namespaces left after cleanup: %v", topo, left)
		}
	}
}

func checkCluster(t *testing.T, c *Cluster) {
	ctx := context.Background()
	probes := allPairs(c, testPorts)
	res := c.Run(ctx, probes)
	expectResults(t, probes, res, func(Probe) bool { return true })

	// Ports nobody listens on do not connect.
	neg := []Probe{
		{From: "ns0/pod-a0", To: "ns1/pod-b1", Protocol: corev1.ProtocolTCP, Port: 81, Family: 4},
		{From: "ns0/pod-a0", To: "ns1/pod-b1", Protocol: corev1.ProtocolUDP, Port: 54, Family: 6},
		{From: "ns0/pod-a0", To: "ns1/pod-b1", Protocol: corev1.ProtocolSCTP, Port: 9998, Family: 4},
	}
	expectResults(t, neg, c.Run(ctx, neg), func(Probe) bool { return false })

	// The nodes reach every pod.
	for _, node := range []string{"node-a", "node-b"} {
		for _, p := range c.Pods() {
			to := p.Namespace + "/" + p.Name
			for _, fam := range []int{4, 6} {
				for _, cp := range testPorts {
					if !c.ProbeFromNode(ctx, node, to, cp.Protocol, cp.ContainerPort, fam) {
						t.Errorf("node %s -> %s %s/%d IPv%d failed", node, to, cp.Protocol, cp.ContainerPort, fam)
					}
				}
			}
		}
	}

	// SCTP INITs carry a valid checksum: conntrack does not call them invalid.
	invalid := forwardTable("ct state invalid drop")
	for _, node := range []string{"node-a", "node-b"} {
		if err := c.LoadNft(node, invalid); err != nil {
			t.Fatal(err)
		}
	}
	res = c.Run(ctx, probes)
	expectResults(t, probes, res, func(Probe) bool { return true })
	for _, node := range []string{"node-a", "node-b"} {
		if err := c.ResetNode(node); err != nil {
			t.Fatal(err)
		}
	}

	// One drop rule on pod-b1's node blocks exactly IPv4 TCP/80 to pod-b1.
	victim, _ := c.PodIP("ns1", "pod-b1", 4)
	table := forwardTable(fmt.Sprintf("ip daddr %s tcp dport 80 drop", victim))
	if err := c.LoadNft("node-b", table); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ListRuleset("node-b")
	if err != nil || !strings.Contains(rs, victim.String()) {
		t.Fatalf("ruleset on node-b: %v\n%s", err, rs)
	}
	if rs, _ := c.ListRuleset("node-a"); strings.Contains(rs, "nftpolicy") {
		t.Errorf("node-a has the table too:\n%s", rs)
	}
	res = c.Run(ctx, probes)
	expectResults(t, probes, res, func(p Probe) bool {
		return !(p.To == "ns1/pod-b1" && p.Family == 4 && p.Port == 80 && p.Protocol == corev1.ProtocolTCP)
	})
	if err := c.ResetNode("node-b"); err != nil {
		t.Fatal(err)
	}
	if err := c.ResetNode("node-b"); err != nil {
		t.Errorf("reset without a table: %v", err)
	}
	res = c.Run(ctx, probes)
	expectResults(t, probes, res, func(Probe) bool { return true })
}

func TestLoadNftError(t *testing.T) {
	requireRoot(t)
	c := New(t, Config{Topology: Routed, Nodes: []string{"n"}, IPv4: true, Pods: []PodSpec{
		{Namespace: "a", Name: "x", Node: "n", Ports: testPorts[:1]},
		{Namespace: "a", Name: "y", Node: "n", Ports: testPorts[:1]},
		{Namespace: "a", Name: "pending", Node: "n", NoIP: true},
	}})
	err := c.LoadNft("n", "table inet nftpolicy { chain x { bogus } }")
	if err == nil || !strings.Contains(err.Error(), "Error") {
		t.Errorf("LoadNft of a bad ruleset: %v", err)
	}
	pods := c.Pods()
	if len(pods) != 3 || pods[2].Status.Phase != corev1.PodPending || len(pods[2].Status.PodIPs) != 0 {
		t.Errorf("pending pod object: %+v", pods[2].Status)
	}
	if pods[0].Status.PodIP != "10.244.0.10" || pods[1].Status.PodIP != "10.244.0.11" || pods[0].Spec.NodeName != "n" {
		t.Errorf("pod objects: %+v %+v", pods[0].Status, pods[1].Status)
	}
	if ok := c.Run(context.Background(), []Probe{{From: "a/x", To: "a/y", Port: 80, Family: 6}})[0]; ok {
		t.Error("IPv6 probe in an IPv4-only cluster connected")
	}
}

// TestScale measures setup of 2 nodes x 9 pods and 300 probes, half of them
// dropped.
func TestScale(t *testing.T) {
	requireRoot(t)
	start := time.Now()
	c := New(t, testConfig(Bridge, 2, 9))
	setup := time.Since(start)
	var probes []Probe
	pods := c.Pods()
	for i := 0; len(probes) < 300; i++ {
		src, dst := pods[i%len(pods)], pods[(i*7+1)%len(pods)]
		if src == dst {
			continue
		}
		port := int32(80)
		if len(probes)%2 == 1 {
			port = 8080
		}
		probes = append(probes, Probe{
			From: src.Namespace + "/" + src.Name, To: dst.Namespace + "/" + dst.Name,
			Protocol: corev1.ProtocolTCP, Port: port, Family: 4 + 2*(i%2),
		})
	}
	drop := forwardTable("tcp dport 80 drop")
	for _, n := range []string{"node-a", "node-b"} {
		if err := c.LoadNft(n, drop); err != nil {
			t.Fatal(err)
		}
	}
	start = time.Now()
	res := c.Run(context.Background(), probes)
	elapsed := time.Since(start)
	expectResults(t, probes, res, func(p Probe) bool { return p.Port != 80 })
	t.Logf("setup of 2 nodes x 9 pods (incl. baseline): %v; 300 probes, 150 dropped: %v",
		setup.Round(time.Millisecond), elapsed.Round(time.Millisecond))
}

// TestSingleFamily builds IPv6-only and IPv4-only clusters over three nodes.
func TestSingleFamily(t *testing.T) {
	requireRoot(t)
	for _, tc := range []struct {
		topo Topology
		fam  int
	}{{Bridge, 6}, {Routed, 6}, {Bridge, 4}, {Routed, 4}} {
		t.Run(fmt.Sprintf("%s-ipv%d", tc.topo, tc.fam), func(t *testing.T) {
			cfg := Config{Topology: tc.topo, Nodes: []string{"a", "b", "c"}, IPv4: tc.fam == 4, IPv6: tc.fam == 6}
			for i, n := range cfg.Nodes {
				cfg.Pods = append(cfg.Pods, PodSpec{Namespace: "x", Name: fmt.Sprint("p", i), Node: n, Ports: testPorts})
			}
			c := New(t, cfg)
			if ips := c.NodeIPs("c"); len(ips) != 1 || (tc.fam == 4) != ips[0].Is4() {
				t.Errorf("NodeIPs(c) = %v", ips)
			}
			var probes []Probe
			for _, p := range allPairs(c, testPorts) {
				if p.Family == tc.fam {
					probes = append(probes, p)
				}
			}
			expectResults(t, probes, c.Run(context.Background(), probes), func(Probe) bool { return true })
			if !c.ProbeFromNode(context.Background(), "a", "x/p2", corev1.ProtocolUDP, 53, tc.fam) {
				t.Error("node a cannot reach x/p2 over UDP")
			}
		})
	}
}

// TestBaselineCoversEveryPort: the baseline probes every declared port of
// every protocol, each family, every ordered pair — and so fails when any
// one of them is blocked, not only the first TCP port.
func TestBaselineCoversEveryPort(t *testing.T) {
	requireRoot(t)
	cfg := testConfig(Bridge, 1, 3)
	cfg.ProbeTimeout = 300 * time.Millisecond
	c := New(t, cfg)
	// 3 pods: 6 ordered pairs x 4 ports (TCP 80, TCP 8080, UDP 53, SCTP 9999) x 2 families.
	if n := len(c.baselineProbes()); n != 6*4*2 {
		t.Errorf("%d baseline probes, want 48", n)
	}
	for _, rule := range []string{
		"udp dport 53 drop",
		"meta l4proto sctp drop",
		"ip6 daddr fd00:10:244:0::12 tcp dport 8080 drop",
	} {
		if err := c.LoadNft("node-a", forwardTable(rule)); err != nil {
			t.Fatal(err)
		}
		_, err := c.checkBaseline()
		if err == nil {
			t.Errorf("baseline passed with %q loaded", rule)
		}
		if err := c.ResetNode("node-a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.checkBaseline(); err != nil {
		t.Errorf("baseline after reset: %v", err)
	}
}

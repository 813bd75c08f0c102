package harness

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// New builds the cluster described by cfg, checks that every pod reaches
// every other pod, and registers its teardown with t.Cleanup. Any error is
// fatal to the test.
func New(t TB, cfg Config) *Cluster {
	t.Helper()
	start := time.Now()
	c, err := newModel(t, cfg)
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	t.Cleanup(c.teardown)
	if err := c.build(); err != nil {
		t.Fatalf("harness: build %s cluster %s: %v", cfg.Topology, c.id, err)
	}
	built := time.Since(start)
	n, err := c.checkBaseline()
	if err != nil {
		t.Fatalf("harness: %s cluster %s: %v", cfg.Topology, c.id, err)
	}
	t.Logf("harness: %s cluster %s: %d nodes, %d pods built in %v, %d baseline probes in %v",
		cfg.Topology, c.id, len(c.nodes), len(c.pods), built.Round(time.Millisecond),
		n, (time.Since(start) - built).Round(time.Millisecond))
	return c
}

// build creates the namespaces, wires them up and opens the listeners.
func (c *Cluster) build() error {
	if err := netns.Add(c.netnses...); err != nil {
		return err
	}
	if err := c.setSysctls(); err != nil {
		return err
	}
	if err := netns.Batch(c.fabric, c.fabricLines()); err != nil {
		return err
	}
	if err := parallel(len(c.nodes), func(i int) error {
		n := c.nodes[i]
		l := c.nodeLines(n)
		if c.cfg.Topology == Bridge {
			l = append(l, bridgeNodeLines(c, n)...)
		} else {
			l = append(l, routedNodeLines(c, n)...)
		}
		return netns.Batch(n.netns, l)
	}); err != nil {
		return err
	}
	ipPods := c.podsWithIP()
	if err := parallel(len(ipPods), func(i int) error {
		p := ipPods[i]
		if c.cfg.Topology == Bridge {
			return netns.Batch(p.netns, bridgePodLines(c, p))
		}
		return netns.Batch(p.netns, routedPodLines(c, p))
	}); err != nil {
		return err
	}
	for _, p := range ipPods {
		if err := c.startListeners(p); err != nil {
			return err
		}
	}
	return parallel(len(ipPods), func(i int) error { return c.readLinkLocal(ipPods[i]) })
}

func (c *Cluster) setSysctls() error {
	common := [][2]string{
		{"net.ipv6.conf.all.accept_dad", "0"},
		{"net.ipv6.conf.default.accept_dad", "0"},
		{"net.ipv4.conf.all.rp_filter", "0"},
		{"net.ipv4.conf.default.rp_filter", "0"},
	}
	fabric := append(slices.Clone(common),
		[2]string{"net.bridge.bridge-nf-call-iptables", "0"},
		[2]string{"net.bridge.bridge-nf-call-ip6tables", "0"},
		[2]string{"net.bridge.bridge-nf-call-arptables", "0"},
	)
	if err := netns.SetSysctls(c.fabric, fabric); err != nil {
		return err
	}
	nodeKV := append(slices.Clone(common),
		[2]string{"net.ipv4.ip_forward", "1"},
		[2]string{"net.ipv6.conf.all.forwarding", "1"},
	)
	if c.cfg.Topology == Bridge {
		nodeKV = append(nodeKV, bridgeNodeSysctls()...)
	}
	for _, n := range c.nodes {
		if err := netns.SetSysctls(n.netns, nodeKV); err != nil {
			return err
		}
	}
	for _, p := range c.podsWithIP() {
		if err := netns.SetSysctls(p.netns, common); err != nil {
			return err
		}
	}
	return nil
}

// fabricLines builds the fabric bridge with one veth per node; the node end
// is created directly in the node namespace as fab0.
func (c *Cluster) fabricLines() []string {
	l := []string{"link set lo up", "link add br0 type bridge mcast_snooping 0", "link set br0 up"}
	for _, n := range c.nodes {
		port := fmt.Sprintf("n%d", n.idx)
		l = append(l,
			fmt.Sprintf("link add %s type veth peer name fab0 netns %s", port, n.netns),
			fmt.Sprintf("link set %s master br0 up", port),
		)
	}
	return l
}

// nodeLines configures lo, fab0 and the routes to the other nodes' pods.
func (c *Cluster) nodeLines(n *node) []string {
	l := []string{"link set lo up"}
	if n.ip4.IsValid() {
		l = append(l, fmt.Sprintf("addr add %s/24 dev fab0", n.ip4))
	}
	if n.ip6.IsValid() {
		l = append(l, fmt.Sprintf("addr add %s/64 dev fab0 nodad", n.ip6))
	}
	l = append(l, "link set fab0 up")
	for _, o := range c.nodes {
		if o == n {
			continue
		}
		if o.ip4.IsValid() {
			l = append(l, fmt.Sprintf("route add 10.244.%d.0/24 via %s dev fab0", o.idx, o.ip4))
		}
		if o.ip6.IsValid() {
			l = append(l, fmt.Sprintf("route add fd00:10:244:%x::/64 via %s dev fab0", o.idx, o.ip6))
		}
	}
	return l
}

func (c *Cluster) podsWithIP() []*pod {
	var out []*pod
	for _, p := range c.pods {
		if p.netns != "" {
			out = append(out, p)
		}
	}
	return out
}

// parallel runs fn(0..n-1) with a bounded number of goroutines and
// returns the errors joined.
func parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

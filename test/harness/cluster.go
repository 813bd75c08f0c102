package harness

import (
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// Topology selects how pods are wired to their node.
type Topology string

const (
	// Bridge puts every pod of a node on one Linux bridge (bridge/flannel CNIs).
	Bridge Topology = "bridge"
	// Routed gives every pod its own routed veth (Calico/ptp CNIs).
	Routed Topology = "routed"
)

// Config describes the fake cluster New builds.
type Config struct {
	Topology     Topology
	Nodes        []string // node names, at least one
	IPv4, IPv6   bool     // address families pods get (both = dual-stack)
	Pods         []PodSpec
	ProbeTimeout time.Duration // default 1s
}

// PodSpec describes one pod.
type PodSpec struct {
	Namespace, Name, Node string
	Labels                map[string]string
	// Ports are the container ports. A listener is opened for each TCP and
	// UDP entry (an empty protocol means TCP); SCTP entries are seen by a raw
	// socket (see the package doc).
	Ports []corev1.ContainerPort
	// NoIP makes a pod that exists as an object (phase Pending, no podIPs)
	// but has no network namespace.
	NoIP bool
}

// Cluster is a fake cluster of network namespaces built by New.
type Cluster struct {
	t       TB
	cfg     Config
	id      string // netns name prefix, e.g. nftp-3fa9c1
	timeout time.Duration
	fabric  string // fabric netns name

	nodes   []*node
	nodeBy  map[string]*node
	pods    []*pod
	podBy   map[string]*pod // "ns/name"
	netnses []string        // every netns to delete, fabric first

	mu      sync.Mutex
	closers []io.Closer
}

type node struct {
	name     string
	idx      int
	netns    string
	ip4, ip6 netip.Addr // fabric addresses
	gw4, gw6 netip.Addr // pod gateways (bridge topology)
	pods     []*pod     // pods with an IP, in address order
}

type pod struct {
	spec      PodSpec
	key       string // "ns/name"
	node      *node
	netns     string // "" for NoIP pods
	hostIf    string // node end of the veth
	ip4, ip6  netip.Addr
	tcp       []int32
	udp       []int32
	sctp      map[int32]bool
	udpSeen   *nonceBoard      // datagrams the UDP listeners received (ProbeBroadcast)
	listeners *netns.Listeners // opened by startListeners
	ll        netip.Addr       // eth0's fe80:: address, read after setup (PodLinkLocal)
	obj       *corev1.Pod
}

func (p *pod) ip(family int) (netip.Addr, bool) {
	var a netip.Addr
	switch family {
	case 4:
		a = p.ip4
	case 6:
		a = p.ip6
	}
	return a, a.IsValid()
}

// Pods returns the pod objects as the API server would show them; the
// caller may modify them.
func (c *Cluster) Pods() []*corev1.Pod {
	out := make([]*corev1.Pod, 0, len(c.pods))
	for _, p := range c.pods {
		out = append(out, p.obj.DeepCopy())
	}
	return out
}

// NodeNetns returns the `ip netns` name of the node's namespace ("" if the
// node is unknown).
func (c *Cluster) NodeNetns(name string) string {
	if n, ok := c.nodeBy[name]; ok {
		return n.netns
	}
	return ""
}

// NodeNetnsPath returns /run/netns/<name> for the node ("" if unknown).
func (c *Cluster) NodeNetnsPath(name string) string {
	if n, ok := c.nodeBy[name]; ok {
		return netns.Path(n.netns)
	}
	return ""
}

// NodeIPs returns the node's fabric addresses, IPv4 first.
func (c *Cluster) NodeIPs(name string) []netip.Addr {
	n, ok := c.nodeBy[name]
	if !ok {
		return nil
	}
	var out []netip.Addr
	for _, a := range []netip.Addr{n.ip4, n.ip6} {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// PodIP returns the pod's address of the given family (4 or 6).
func (c *Cluster) PodIP(ns, name string, family int) (netip.Addr, bool) {
	p, ok := c.podBy[ns+"/"+name]
	if !ok {
		return netip.Addr{}, false
	}
	return p.ip(family)
}

// LoadNft runs `nft -f -` with text inside the node's namespace.
func (c *Cluster) LoadNft(nodeName, text string) error {
	n, ok := c.nodeBy[nodeName]
	if !ok {
		return fmt.Errorf("load nft: unknown node %q", nodeName)
	}
	if _, err := netns.Exec(n.netns, text, "nft", "-f", "-"); err != nil {
		return fmt.Errorf("load nft on node %s: %w", nodeName, err)
	}
	return nil
}

// ResetNode deletes table inet nftpolicy in the node's namespace if it
// exists, and nothing else.
func (c *Cluster) ResetNode(nodeName string) error {
	n, ok := c.nodeBy[nodeName]
	if !ok {
		return fmt.Errorf("reset: unknown node %q", nodeName)
	}
	// Declaring the table first makes the delete succeed when it is absent;
	// both happen in one transaction.
	const text = "table inet nftpolicy\ndelete table inet nftpolicy\n"
	if _, err := netns.Exec(n.netns, text, "nft", "-f", "-"); err != nil {
		return fmt.Errorf("reset node %s: %w", nodeName, err)
	}
	return nil
}

// ListRuleset returns `nft list ruleset` of the node's namespace.
func (c *Cluster) ListRuleset(nodeName string) (string, error) {
	n, ok := c.nodeBy[nodeName]
	if !ok {
		return "", fmt.Errorf("list ruleset: unknown node %q", nodeName)
	}
	out, err := netns.Exec(n.netns, "", "nft", "list", "ruleset")
	if err != nil {
		return "", fmt.Errorf("list ruleset on node %s: %w", nodeName, err)
	}
	return out, nil
}

func (c *Cluster) addCloser(cl io.Closer) {
	c.mu.Lock()
	c.closers = append(c.closers, cl)
	c.mu.Unlock()
}

// teardown closes every socket and deletes every namespace of the cluster.
func (c *Cluster) teardown() {
	c.mu.Lock()
	cls := c.closers
	c.closers = nil
	c.mu.Unlock()
	for _, cl := range cls {
		cl.Close()
	}
	if err := netns.Delete(c.netnses...); err != nil {
		c.t.Errorf("harness teardown: %v", err)
	}
}

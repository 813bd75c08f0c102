package harness

import (
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// maxPodsPerNode keeps pod addresses within .10 ... .254.
const maxPodsPerNode = 245

// newModel validates cfg and assigns namespaces, interfaces and addresses.
func newModel(t TB, cfg Config) (*Cluster, error) {
	if cfg.Topology != Bridge && cfg.Topology != Routed {
		return nil, fmt.Errorf("unknown topology %q", cfg.Topology)
	}
	if len(cfg.Nodes) == 0 || len(cfg.Nodes) > 250 {
		return nil, fmt.Errorf("need 1 to 250 nodes, got %d", len(cfg.Nodes))
	}
	if !cfg.IPv4 && !cfg.IPv6 {
		return nil, errors.New("neither IPv4 nor IPv6 enabled")
	}
	id, err := netns.NewID("")
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		t: t, cfg: cfg, id: id, timeout: cfg.ProbeTimeout,
		fabric: id + "-fab",
		nodeBy: map[string]*node{}, podBy: map[string]*pod{},
	}
	if c.timeout <= 0 {
		c.timeout = time.Second
	}
	c.netnses = append(c.netnses, c.fabric)
	for i, name := range cfg.Nodes {
		if _, dup := c.nodeBy[name]; dup || name == "" {
			return nil, fmt.Errorf("node name %q empty or repeated", name)
		}
		n := &node{name: name, idx: i, netns: fmt.Sprintf("%s-n%d", id, i)}
		if cfg.IPv4 {
			n.ip4 = netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
			n.gw4 = netip.AddrFrom4([4]byte{10, 244, byte(i), 1})
		}
		if cfg.IPv6 {
			n.ip6 = netip.MustParseAddr(fmt.Sprintf("fd00:10::%x", i+1))
			n.gw6 = netip.MustParseAddr(fmt.Sprintf("fd00:10:244:%x::1", i))
		}
		c.nodes = append(c.nodes, n)
		c.nodeBy[name] = n
		c.netnses = append(c.netnses, n.netns)
	}
	for _, s := range cfg.Pods {
		p, err := c.addPod(s)
		if err != nil {
			return nil, err
		}
		if p.netns != "" {
			c.netnses = append(c.netnses, p.netns)
		}
	}
	return c, nil
}

func (c *Cluster) addPod(s PodSpec) (*pod, error) {
	key := s.Namespace + "/" + s.Name
	if s.Namespace == "" || s.Name == "" {
		return nil, fmt.Errorf("pod %q: namespace and name are required", key)
	}
	if _, dup := c.podBy[key]; dup {
		return nil, fmt.Errorf("pod %s declared twice", key)
	}
	n, ok := c.nodeBy[s.Node]
	if !ok {
		return nil, fmt.Errorf("pod %s: unknown node %q", key, s.Node)
	}
	p := &pod{spec: s, key: key, node: n, sctp: map[int32]bool{}, udpSeen: newNonceBoard()}
	for _, cp := range s.Ports {
		if cp.ContainerPort <= 0 || cp.ContainerPort > 65535 {
			return nil, fmt.Errorf("pod %s: bad container port %d", key, cp.ContainerPort)
		}
		switch cp.Protocol {
		case corev1.ProtocolTCP, "":
			if !slices.Contains(p.tcp, cp.ContainerPort) {
				p.tcp = append(p.tcp, cp.ContainerPort)
			}
		case corev1.ProtocolUDP:
			if !slices.Contains(p.udp, cp.ContainerPort) {
				p.udp = append(p.udp, cp.ContainerPort)
			}
		case corev1.ProtocolSCTP:
			p.sctp[cp.ContainerPort] = true
		default:
			return nil, fmt.Errorf("pod %s: unknown protocol %q", key, cp.Protocol)
		}
	}
	if !s.NoIP {
		k := len(n.pods)
		if k >= maxPodsPerNode {
			return nil, fmt.Errorf("pod %s: node %s is full", key, n.name)
		}
		n.pods = append(n.pods, p)
		p.netns = fmt.Sprintf("%sp%d", n.netns, k)
		p.hostIf = fmt.Sprintf("veth%d", k)
		host := 10 + k
		if c.cfg.IPv4 {
			p.ip4 = netip.AddrFrom4([4]byte{10, 244, byte(n.idx), byte(host)})
		}
		if c.cfg.IPv6 {
			// The last group repeats the decimal digits of the IPv4 host part.
			p.ip6 = netip.MustParseAddr(fmt.Sprintf("fd00:10:244:%x::%d", n.idx, host))
		}
	}
	p.obj = c.podObject(p)
	c.pods = append(c.pods, p)
	c.podBy[key] = p
	return p, nil
}

// podObject renders the pod as the API server would show it.
func (c *Cluster) podObject(p *pod) *corev1.Pod {
	ports := make([]corev1.ContainerPort, len(p.spec.Ports))
	for i, cp := range p.spec.Ports {
		if cp.Protocol == "" {
			cp.Protocol = corev1.ProtocolTCP // API server default
		}
		ports[i] = cp
	}
	o := &corev1.Pod{
		TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: p.spec.Namespace,
			Name:      p.spec.Name,
			UID:       types.UID(fmt.Sprintf("%s-%d", c.id, len(c.pods))),
			Labels:    maps.Clone(p.spec.Labels),
		},
		Spec: corev1.PodSpec{
			NodeName:   p.node.name,
			Containers: []corev1.Container{{Name: "main", Image: "nftpolicy/harness", Ports: ports}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	if p.netns == "" {
		return o
	}
	o.Status.Phase = corev1.PodRunning
	for _, a := range c.NodeIPs(p.node.name) {
		o.Status.HostIPs = append(o.Status.HostIPs, corev1.HostIP{IP: a.String()})
	}
	o.Status.HostIP = o.Status.HostIPs[0].IP
	for _, a := range []netip.Addr{p.ip4, p.ip6} {
		if a.IsValid() {
			o.Status.PodIPs = append(o.Status.PodIPs, corev1.PodIP{IP: a.String()})
		}
	}
	o.Status.PodIP = o.Status.PodIPs[0].IP
	return o
}

package build

// Test fixtures.
//
// IP plan: pod <ns>/<p> has 10.<N>.0.<P> (and fd00::<N>:<P> when dual-stack), where N numbers the namespace
// (x=1, y=2, z=3, w=4) and P the pod in it (a=1, b=2, c=3, d=4, ...). Nodes are n1 (the node under test) and n2
// (remote). Addresses outside 10.0.0.0/8 and fd00::/16 belong to no pod.
//
// The standard cluster (std) has:
//
//	namespace x {team: blue, env: prod}   pods x/a {app: a, tier: web} 10.1.0.1 n1
//	                                           x/b {app: b, tier: db}  10.1.0.2 n1
//	                                           x/c {}                  10.1.0.3 n2
//	namespace y {team: red, env: dev}     pods y/a {app: a}            10.2.0.1 n2
//	                                           y/b {app: b, tier: web} 10.2.0.2 n1
//	namespace z {team: blue}              pods z/a {app: a}            10.3.0.1 n2
//	namespace w (not listed: implicit)    pods w/a {app: a}            10.4.0.1 n2
//
// IR is compared as text (render): one line per group, then one per rule, with peer addresses written as the
// names of the pods that own them (an IPv6 address gets a "~6" suffix).

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// --- namespaces ---

func namespace(name string, kv ...string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: kvs(kv)}}
}

func kvs(kv []string) map[string]string {
	if len(kv)%2 != 0 {
		panic("odd label list")
	}
	if len(kv) == 0 {
		return nil
	}
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// --- pods ---

type podOpt func(*corev1.Pod)

func pod(ns, name string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func onNode(n string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = n } }

func labeled(kv ...string) podOpt { return func(p *corev1.Pod) { p.Labels = kvs(kv) } }

// ip sets status.podIPs (and status.podIP to the first), as the kubelet does.
func ip(addrs ...string) podOpt {
	return func(p *corev1.Pod) {
		p.Status.PodIPs = nil
		for _, a := range addrs {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: a})
		}
		p.Status.PodIP = addrs[0]
	}
}

// legacyIP sets only status.podIP.
func legacyIP(a string) podOpt {
	return func(p *corev1.Pod) { p.Status.PodIPs, p.Status.PodIP = nil, a }
}

func phase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }

func hostNetwork() podOpt { return func(p *corev1.Pod) { p.Spec.HostNetwork = true } }

// cport adds a container port to the main container; proto "" leaves the protocol unset (TCP).
func cport(name string, num int32, proto corev1.Protocol) podOpt {
	return func(p *corev1.Pod) {
		c := &p.Spec.Containers[0]
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: name, ContainerPort: num, Protocol: proto})
	}
}

// container adds another regular container with one port.
func container(name string, num int32) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: "c" + name,
			Ports: []corev1.ContainerPort{{Name: name, ContainerPort: num}}})
	}
}

// initContainer adds an init container with one port; sidecar sets restartPolicy Always.
func initContainer(name string, num int32, sidecar bool) podOpt {
	return func(p *corev1.Pod) {
		c := corev1.Container{Name: "init-" + name, Ports: []corev1.ContainerPort{{Name: name, ContainerPort: num}}}
		if sidecar {
			always := corev1.ContainerRestartPolicyAlways
			c.RestartPolicy = &always
		}
		p.Spec.InitContainers = append(p.Spec.InitContainers, c)
	}
}

// --- policies ---

type polOpt func(*networkingv1.NetworkPolicy)

func policy(ns, name string, opts ...polOpt) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	for _, o := range opts {
		o(p)
	}
	return p
}

// selecting sets spec.podSelector.matchLabels.
func selecting(kv ...string) polOpt {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.PodSelector = metav1.LabelSelector{MatchLabels: kvs(kv)} }
}

func podSelector(s *metav1.LabelSelector) polOpt {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.PodSelector = *s }
}

func types(ts ...networkingv1.PolicyType) polOpt {
	return func(p *networkingv1.NetworkPolicy) { p.Spec.PolicyTypes = ts }
}

// ingress appends a rule built from peers and ports (any mix of NetworkPolicyPeer and NetworkPolicyPort).
func ingress(parts ...any) polOpt {
	return func(p *networkingv1.NetworkPolicy) {
		peers, ports := split(parts)
		p.Spec.Ingress = append(p.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports})
	}
}

func egress(parts ...any) polOpt {
	return func(p *networkingv1.NetworkPolicy) {
		peers, ports := split(parts)
		p.Spec.Egress = append(p.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports})
	}
}

func split(parts []any) ([]networkingv1.NetworkPolicyPeer, []networkingv1.NetworkPolicyPort) {
	var peers []networkingv1.NetworkPolicyPeer
	var ports []networkingv1.NetworkPolicyPort
	for _, x := range parts {
		switch v := x.(type) {
		case networkingv1.NetworkPolicyPeer:
			peers = append(peers, v)
		case networkingv1.NetworkPolicyPort:
			ports = append(ports, v)
		default:
			panic(fmt.Sprintf("unexpected rule part %T", x))
		}
	}
	return peers, ports
}

// --- selectors and peers ---

func match(kv ...string) *metav1.LabelSelector { return &metav1.LabelSelector{MatchLabels: kvs(kv)} }

func exprs(es ...metav1.LabelSelectorRequirement) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchExpressions: es}
}

func expr(key string, op metav1.LabelSelectorOperator, vals ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: vals}
}

func pods(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: s}
}

func namespaces(s *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: s}
}

func both(ns, pod *metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ns, PodSelector: pod}
}

func block(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

// --- ports ---

func proto(p corev1.Protocol) *corev1.Protocol { return &p }

func tcp(n int32) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Port: &v}
}

func portOf(p corev1.Protocol, n int32) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Protocol: proto(p), Port: &v}
}

func portRange(p corev1.Protocol, n, end int32) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Protocol: proto(p), Port: &v, EndPort: &end}
}

func protoOnly(p corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: proto(p)}
}

// named is a named port; p "" leaves the protocol unset (TCP).
func named(name string, p corev1.Protocol) networkingv1.NetworkPolicyPort {
	v := intstr.FromString(name)
	np := networkingv1.NetworkPolicyPort{Port: &v}
	if p != "" {
		np.Protocol = proto(p)
	}
	return np
}

// --- clusters ---

// std returns the standard cluster of the header comment, plus extra objects.
func std(extra ...any) Cluster {
	c := Cluster{
		Namespaces: []*corev1.Namespace{
			namespace("x", "team", "blue", "env", "prod"),
			namespace("y", "team", "red", "env", "dev"),
			namespace("z", "team", "blue"),
		},
		Pods: []*corev1.Pod{
			pod("x", "a", onNode("n1"), labeled("app", "a", "tier", "web"), ip("10.1.0.1")),
			pod("x", "b", onNode("n1"), labeled("app", "b", "tier", "db"), ip("10.1.0.2")),
			pod("x", "c", onNode("n2"), ip("10.1.0.3")),
			pod("y", "a", onNode("n2"), labeled("app", "a"), ip("10.2.0.1")),
			pod("y", "b", onNode("n1"), labeled("app", "b", "tier", "web"), ip("10.2.0.2")),
			pod("z", "a", onNode("n2"), labeled("app", "a"), ip("10.3.0.1")),
			pod("w", "a", onNode("n2"), labeled("app", "a"), ip("10.4.0.1")),
		},
	}
	return c.with(extra...)
}

// with adds objects to a copy of c.
func (c Cluster) with(extra ...any) Cluster {
	c.Namespaces = slices.Clone(c.Namespaces)
	c.Pods = slices.Clone(c.Pods)
	c.Policies = slices.Clone(c.Policies)
	c.ClusterPolicies = slices.Clone(c.ClusterPolicies)
	c.Nodes = slices.Clone(c.Nodes)
	for _, o := range extra {
		switch v := o.(type) {
		case *corev1.Namespace:
			c.Namespaces = append(c.Namespaces, v)
		case *corev1.Pod:
			c.Pods = append(c.Pods, v)
		case *networkingv1.NetworkPolicy:
			c.Policies = append(c.Policies, v)
		case *cnp.ClusterNetworkPolicy:
			c.ClusterPolicies = append(c.ClusterPolicies, v)
		case *corev1.Node:
			c.Nodes = append(c.Nodes, v)
		default:
			panic(fmt.Sprintf("unexpected object %T", o))
		}
	}
	return c
}

// --- rendering ---

// render writes n as text: per group "<key> members=<pods>", then per rule
// "  <policy>[<i>] peers=<...> ports=<...>[ pairs=<...>]".
func render(n *ir.Node, c Cluster) string {
	owner := map[netip.Addr]string{}
	for _, p := range c.Pods {
		if p == nil {
			continue
		}
		for _, s := range append([]string{p.Status.PodIP}, podIPStrings(p)...) {
			if a, err := netip.ParseAddr(s); err == nil {
				owner[a] = p.Namespace + "/" + p.Name
			}
		}
	}
	name := func(a netip.Addr) string {
		s, ok := owner[a]
		if !ok {
			s = a.String()
		}
		if a.Is6() {
			s += "~6"
		}
		return s
	}
	var b strings.Builder
	for _, g := range n.Groups {
		var ms []string
		for _, m := range g.Members {
			ms = append(ms, m.Pod.String())
		}
		fmt.Fprintf(&b, "%s members=%s\n", g.Key, strings.Join(ms, ","))
		for _, r := range g.Rules {
			fmt.Fprintf(&b, "  %s[%d] peers=%s ports=%s", r.Policy, r.Index, renderPeers(r.Peers, name), renderPorts(r))
			if len(r.AddrPorts) > 0 {
				var ps []string
				for _, ap := range r.AddrPorts {
					ps = append(ps, name(ap.Addr)+"@"+portString(ap.Port))
				}
				fmt.Fprintf(&b, " pairs=%s", strings.Join(ps, ","))
			}
			b.WriteByte('\n')
		}
		for _, t := range []struct {
			tag   string
			rules []ir.ClusterRule
		}{{"A", g.Admin}, {"B", g.Baseline}} {
			for _, r := range t.rules {
				fmt.Fprintf(&b, "  %s %s p%d %s[%d] %s peers=%s ports=%s", t.tag, r.Policy, r.Priority, g.Direction,
					r.Index, r.Action, renderPeers(r.Peers, name), renderPorts(ir.Rule{AllPorts: r.AllPorts, Ports: r.Ports}))
				if len(r.AddrPorts) > 0 {
					var ps []string
					for _, ap := range r.AddrPorts {
						ps = append(ps, name(ap.Addr)+"@"+portString(ap.Port))
					}
					fmt.Fprintf(&b, " pairs=%s", strings.Join(ps, ","))
				}
				if len(r.Unenforced) > 0 {
					fmt.Fprintf(&b, " unenforced=%s", strings.Join(r.Unenforced, ","))
				}
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

func podIPStrings(p *corev1.Pod) []string {
	var out []string
	for _, pip := range p.Status.PodIPs {
		out = append(out, pip.IP)
	}
	return out
}

func renderPeers(p ir.Peers, name func(netip.Addr) string) string {
	if p.Any {
		return "any"
	}
	var out []string
	for _, a := range p.Addrs {
		out = append(out, name(a))
	}
	for _, bl := range p.Blocks {
		s := bl.CIDR.String()
		for _, ex := range bl.Except {
			s += "\\" + ex.String()
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}

func renderPorts(r ir.Rule) string {
	if r.AllPorts {
		return "all"
	}
	if len(r.Ports) == 0 {
		return "none"
	}
	var out []string
	for _, p := range r.Ports {
		out = append(out, portString(p))
	}
	return strings.Join(out, ",")
}

func portString(p ir.Port) string {
	s := protocolName(p.Protocol) + "/" + fmt.Sprint(p.First)
	if p.Last != p.First {
		s += fmt.Sprintf("-%d", p.Last)
	}
	return s
}

func lines(ls ...string) string {
	if len(ls) == 0 {
		return ""
	}
	return strings.Join(ls, "\n") + "\n"
}

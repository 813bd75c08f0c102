package e2e

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Small builders for NetworkPolicy objects. A policy is built from a
// namespace, a name, the selector of the pods it applies to and options;
// rules, peers, ports and selectors each have a constructor so a case reads
// close to the YAML it stands for.

// policyOption tweaks a policy under construction.
type policyOption func(*networkingv1.NetworkPolicy)

// newPolicy returns policy ns/name applying to the pods target selects.
func newPolicy(ns, name string, target metav1.LabelSelector, opts ...policyOption) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns,
			Name:      name,
		},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: target},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// withIngress appends ingress rules. The first use adds "Ingress" to
// policyTypes and makes the rule list non-nil, so withIngress() with no
// rules isolates the selected pods for ingress and allows nothing.
func withIngress(rules ...networkingv1.NetworkPolicyIngressRule) policyOption {
	return func(p *networkingv1.NetworkPolicy) {
		if p.Spec.Ingress == nil {
			p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{}
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		p.Spec.Ingress = append(p.Spec.Ingress, rules...)
	}
}

// withEgress is withIngress for egress.
func withEgress(rules ...networkingv1.NetworkPolicyEgressRule) policyOption {
	return func(p *networkingv1.NetworkPolicy) {
		if p.Spec.Egress == nil {
			p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{}
			p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		p.Spec.Egress = append(p.Spec.Egress, rules...)
	}
}

// withPolicyTypes replaces policyTypes outright.
func withPolicyTypes(types ...networkingv1.PolicyType) policyOption {
	return func(p *networkingv1.NetworkPolicy) {
		p.Spec.PolicyTypes = append([]networkingv1.PolicyType(nil), types...)
	}
}

// --- selectors ---

// selectAll is the empty selector: every pod (or namespace).
func selectAll() metav1.LabelSelector { return metav1.LabelSelector{} }

// labelsSel is a matchLabels selector from key, value pairs. With no pairs
// it is an empty (match-everything) selector with a non-nil, empty map.
func labelsSel(kv ...string) metav1.LabelSelector {
	if len(kv)%2 != 0 {
		panic("e2e: labelsSel needs key, value pairs")
	}
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return metav1.LabelSelector{MatchLabels: m}
}

// exprSel is a selector with the given matchExpressions.
func exprSel(reqs ...metav1.LabelSelectorRequirement) metav1.LabelSelector {
	return metav1.LabelSelector{MatchExpressions: reqs}
}

func req(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
	return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
}

// podSel selects pods labelled pod=<name>.
func podSel(name string) metav1.LabelSelector { return labelsSel("pod", name) }

// nsNameSel selects a namespace by the API server's immutable name label.
func nsNameSel(ns string) metav1.LabelSelector { return labelsSel(namespaceNameLabel, ns) }

func ref(s metav1.LabelSelector) *metav1.LabelSelector { return &s }

// --- peers ---

func podsPeer(pods metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: ref(pods)}
}

func nsPeer(nss metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ref(nss)}
}

// nsPodsPeer is a single peer with both selectors: pods matching pods in
// namespaces matching nss.
func nsPodsPeer(nss, pods metav1.LabelSelector) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{NamespaceSelector: ref(nss), PodSelector: ref(pods)}
}

func ipBlockPeer(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

// --- rules ---

// ingressRule allows traffic from peers (nil: from anywhere) to ports (none:
// every port).
func ingressRule(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: peers, Ports: ports}
}

// egressRule allows traffic to peers (nil: anywhere) on ports (none: every
// port).
func egressRule(peers []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{To: peers, Ports: ports}
}

func peers(p ...networkingv1.NetworkPolicyPeer) []networkingv1.NetworkPolicyPeer { return p }

// --- ports ---

func protoRef(p corev1.Protocol) *corev1.Protocol { return &p }

// numPort is a numeric port; a nil proto leaves the protocol unset (TCP by
// the API's default).
func numPort(proto *corev1.Protocol, port int32) networkingv1.NetworkPolicyPort {
	v := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Protocol: proto, Port: &v}
}

// namedPort refers to a container port by name; a nil proto leaves the
// protocol unset.
func namedPort(proto *corev1.Protocol, name string) networkingv1.NetworkPolicyPort {
	v := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Protocol: proto, Port: &v}
}

// portRange is the numeric range from..to inclusive (endPort).
func portRange(proto *corev1.Protocol, from, to int32) networkingv1.NetworkPolicyPort {
	p := numPort(proto, from)
	p.EndPort = &to
	return p
}

// anyPortOf matches every port of one protocol.
func anyPortOf(proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	return networkingv1.NetworkPolicyPort{Protocol: protoRef(proto)}
}

var (
	tcp  = protoRef(corev1.ProtocolTCP)
	udp  = protoRef(corev1.ProtocolUDP)
	sctp = protoRef(corev1.ProtocolSCTP)
)

// --- common policies ---

// denyIngress isolates every pod of ns for ingress and allows nothing.
func denyIngress(ns, name string) *networkingv1.NetworkPolicy {
	return newPolicy(ns, name, selectAll(), withIngress())
}

// denyIngressEgress isolates every pod of ns in both directions.
func denyIngressEgress(ns, name string) *networkingv1.NetworkPolicy {
	return newPolicy(ns, name, selectAll(), withIngress(), withEgress())
}

// --- addresses ---

func hostBits(family int) int {
	switch family {
	case 4:
		return 32
	case 6:
		return 128
	}
	panic(fmt.Sprintf("e2e: unknown IP family %d", family))
}

// podAddr returns the pod's address in the family under test, checked.
func podAddr(e Env, ns, pod string) netip.Addr {
	a := e.PodIP(ns, pod).Unmap()
	if !a.IsValid() || a.BitLen() != hostBits(e.Family()) {
		panic(fmt.Sprintf("e2e: pod %s/%s has no IPv%d address (got %v)", ns, pod, e.Family(), a))
	}
	return a
}

// hostCIDR is the pod's IP as a host prefix: /32 for IPv4, /128 for IPv6.
func hostCIDR(e Env, ns, pod string) string {
	return netip.PrefixFrom(podAddr(e, ns, pod), hostBits(e.Family())).String()
}

// enclosingCIDR is the /bits prefix containing the pod's IP. Upstream's
// "large CIDR" around a pod is enclosingCIDR(e, ns, pod, 4).
func enclosingCIDR(e Env, ns, pod string, bits int) string {
	p, err := podAddr(e, ns, pod).Prefix(bits)
	if err != nil {
		panic(err)
	}
	return p.String()
}

// coveringCIDR is the longest prefix containing every pod IP of the model
// in the family under test.
func coveringCIDR(e Env) string {
	var addrs []netip.Addr
	for _, p := range AllPods() {
		ns, name := splitPod(p)
		addrs = append(addrs, podAddr(e, ns, name))
	}
	for bits := hostBits(e.Family()); bits >= 0; bits-- {
		pfx, _ := addrs[0].Prefix(bits)
		all := true
		for _, a := range addrs[1:] {
			if !pfx.Contains(a) {
				all = false
				break
			}
		}
		if all {
			return pfx.String()
		}
	}
	panic("unreachable")
}

// otherFamilyAll is the whole address space of the family not under test:
// ::/0 when testing IPv4, 0.0.0.0/0 when testing IPv6.
func otherFamilyAll(e Env) string {
	if e.Family() == 4 {
		return "::/0"
	}
	return "0.0.0.0/0"
}

// familyAll is the whole address space of the family under test.
func familyAll(e Env) string {
	if e.Family() == 4 {
		return "0.0.0.0/0"
	}
	return "::/0"
}

package bench

import (
	"fmt"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// ClusterPolicies returns n ClusterNetworkPolicies over the namespaces and pods of Cluster, the shape that
// fragments painting (docs/design/clusternetworkpolicy.md, Q13): Admin and Baseline in turn, priorities tied in
// pairs (names decide), and in each direction four rules whose actions rotate through Accept, Deny and Pass from
// rule to rule and from policy to policy, so that neighbouring rules of a tier overlap with different actions:
//
//   - the pods of one app in one namespace, TCP 80-82 (one port each) and UDP 53: exact address.port points;
//   - every pod of one namespace, TCP 8000-8100: address.port ranges;
//   - a /24 and a /64 of 172.16.0.0/12 and fd00:172::/32, every port: address ranges;
//   - every pod of another namespace, every port: exact addresses.
//
// Policy i applies to the namespaces of two teams (t(i%10) and the next) and to every namespace without a team
// label (the datapath testbed's), so each pod of Cluster is a subject of a fifth of them. No peer is a
// datapath testbed pod: the tiers cost the client and server lookups, never decide their connection.
func ClusterPolicies(n int) []*cnp.ClusterNetworkPolicy {
	out := make([]*cnp.ClusterNetworkPolicy, n)
	for i := range out {
		out[i] = clusterPolicy(i)
	}
	return out
}

var actions = []cnp.ClusterNetworkPolicyRuleAction{cnp.ClusterNetworkPolicyRuleActionAccept,
	cnp.ClusterNetworkPolicyRuleActionDeny, cnp.ClusterNetworkPolicyRuleActionPass}

func clusterPolicy(i int) *cnp.ClusterNetworkPolicy {
	tier := cnp.AdminTier
	if i%2 == 1 {
		tier = cnp.BaselineTier
	}
	var others []string // the teams that are not subjects
	for t := 2; t < 10; t++ {
		others = append(others, fmt.Sprintf("t%d", (i+t)%10))
	}
	p := &cnp.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cnp-%04d", i)},
		Spec: cnp.ClusterNetworkPolicySpec{
			Tier:     tier,
			Priority: int32(i / 4 % 1000),
			Subject: cnp.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
				{Key: "team", Operator: metav1.LabelSelectorOpNotIn, Values: others},
			}}},
		},
	}
	peers := clusterPeers(i)
	for r, pr := range peers {
		action := actions[(i+r)%len(actions)]
		p.Spec.Egress = append(p.Spec.Egress, cnp.ClusterNetworkPolicyEgressRule{Action: action, To: []cnp.ClusterNetworkPolicyEgressPeer{pr.peer}, Protocols: pr.protocols})
		if pr.peer.Networks == nil {
			in := cnp.ClusterNetworkPolicyIngressPeer{Namespaces: pr.peer.Namespaces, Pods: pr.peer.Pods}
			p.Spec.Ingress = append(p.Spec.Ingress, cnp.ClusterNetworkPolicyIngressRule{Action: action, From: []cnp.ClusterNetworkPolicyIngressPeer{in}, Protocols: pr.protocols})
		}
	}
	return p
}

type peerRule struct {
	peer      cnp.ClusterNetworkPolicyEgressPeer
	protocols []cnp.ClusterNetworkPolicyProtocol
}

// clusterPeers are the four peers of policy i with their protocols (nil: every port); ingress rules have no
// networks peers in the API, so ingress gets the other three.
func clusterPeers(i int) []peerRule {
	tcp := func(first, last int32) cnp.ClusterNetworkPolicyProtocol {
		port := &cnp.Port{Number: first}
		if last > first {
			port = &cnp.Port{Range: &cnp.PortRange{Start: first, End: last}}
		}
		return cnp.ClusterNetworkPolicyProtocol{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}}
	}
	udp := cnp.ClusterNetworkPolicyProtocol{UDP: &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: &cnp.Port{Number: 53}}}
	nsLabel := func(ns string) metav1.LabelSelector {
		return metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": ns}}
	}
	net4 := netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(16 + i%16), byte(i / 16 % 256), 0}), 24)
	net6 := netip.PrefixFrom(netip.AddrFrom16([16]byte{0xfd, 0, 1, 0x72, 4: byte(i >> 8), 5: byte(i)}), 64)
	return []peerRule{
		{peer: cnp.ClusterNetworkPolicyEgressPeer{Pods: &cnp.NamespacedPod{NamespaceSelector: nsLabel(nsName(i % namespaces)),
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": appName(i / namespaces % appsPerNs)}}}},
			protocols: []cnp.ClusterNetworkPolicyProtocol{tcp(80+int32(i%3), 0), udp}},
		{peer: cnp.ClusterNetworkPolicyEgressPeer{Namespaces: ptr(nsLabel(nsName(i * 7 % namespaces)))},
			protocols: []cnp.ClusterNetworkPolicyProtocol{tcp(8000, 8100)}},
		{peer: cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{cnp.CIDR(net4.String()), cnp.CIDR(net6.String())}}},
		{peer: cnp.ClusterNetworkPolicyEgressPeer{Namespaces: ptr(nsLabel(nsName(i * 3 % namespaces)))}},
	}
}

func ptr[T any](v T) *T { return &v }

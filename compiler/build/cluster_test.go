package build

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// --- ClusterNetworkPolicy fixtures ---

type cnpOpt func(*cnp.ClusterNetworkPolicy)

func clusterPolicy(name string, tier cnp.Tier, prio int32, opts ...cnpOpt) *cnp.ClusterNetworkPolicy {
	p := &cnp.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: cnp.ClusterNetworkPolicySpec{Tier: tier, Priority: prio,
			Subject: cnp.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{}}}}
	for _, o := range opts {
		o(p)
	}
	return p
}

func subjectNS(s *metav1.LabelSelector) cnpOpt {
	return func(p *cnp.ClusterNetworkPolicy) { p.Spec.Subject = cnp.ClusterNetworkPolicySubject{Namespaces: s} }
}

func subjectPods(ns, pods *metav1.LabelSelector) cnpOpt {
	return func(p *cnp.ClusterNetworkPolicy) {
		p.Spec.Subject = cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{NamespaceSelector: *ns, PodSelector: *pods}}
	}
}

func cIn(action cnp.ClusterNetworkPolicyRuleAction, peers []cnp.ClusterNetworkPolicyEgressPeer, protos ...cnp.ClusterNetworkPolicyProtocol) cnpOpt {
	return func(p *cnp.ClusterNetworkPolicy) {
		r := cnp.ClusterNetworkPolicyIngressRule{Action: action, Protocols: protos}
		for _, pr := range peers {
			r.From = append(r.From, cnp.ClusterNetworkPolicyIngressPeer{Namespaces: pr.Namespaces, Pods: pr.Pods})
		}
		p.Spec.Ingress = append(p.Spec.Ingress, r)
	}
}

func cOut(action cnp.ClusterNetworkPolicyRuleAction, peers []cnp.ClusterNetworkPolicyEgressPeer, protos ...cnp.ClusterNetworkPolicyProtocol) cnpOpt {
	return func(p *cnp.ClusterNetworkPolicy) {
		p.Spec.Egress = append(p.Spec.Egress, cnp.ClusterNetworkPolicyEgressRule{Action: action, To: peers, Protocols: protos})
	}
}

func to(ps ...cnp.ClusterNetworkPolicyEgressPeer) []cnp.ClusterNetworkPolicyEgressPeer { return ps }

func nsPeer(s *metav1.LabelSelector) cnp.ClusterNetworkPolicyEgressPeer {
	return cnp.ClusterNetworkPolicyEgressPeer{Namespaces: s}
}

func podPeer(ns, pods *metav1.LabelSelector) cnp.ClusterNetworkPolicyEgressPeer {
	return cnp.ClusterNetworkPolicyEgressPeer{Pods: &cnp.NamespacedPod{NamespaceSelector: *ns, PodSelector: *pods}}
}

func netPeer(cidrs ...string) cnp.ClusterNetworkPolicyEgressPeer {
	var ns []cnp.CIDR
	for _, c := range cidrs {
		ns = append(ns, cnp.CIDR(c))
	}
	return cnp.ClusterNetworkPolicyEgressPeer{Networks: ns}
}

func nodePeer(s *metav1.LabelSelector) cnp.ClusterNetworkPolicyEgressPeer {
	return cnp.ClusterNetworkPolicyEgressPeer{Nodes: s}
}

func ctcp(n int32) cnp.ClusterNetworkPolicyProtocol {
	return cnp.ClusterNetworkPolicyProtocol{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: &cnp.Port{Number: n}}}
}

func cudpRange(a, b int32) cnp.ClusterNetworkPolicyProtocol {
	return cnp.ClusterNetworkPolicyProtocol{UDP: &cnp.ClusterNetworkPolicyProtocolUDP{
		DestinationPort: &cnp.Port{Range: &cnp.PortRange{Start: a, End: b}}}}
}

func cnamed(n string) cnp.ClusterNetworkPolicyProtocol {
	return cnp.ClusterNetworkPolicyProtocol{DestinationNamedPort: n}
}

func node(name string, labels map[string]string, addrs ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	for _, a := range addrs {
		n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
	}
	n.Status.Addresses = append(n.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeHostName, Address: name})
	return n
}

const (
	accept = cnp.ClusterNetworkPolicyRuleActionAccept
	deny   = cnp.ClusterNetworkPolicyRuleActionDeny
	pass   = cnp.ClusterNetworkPolicyRuleActionPass
)

// TestClusterTiers checks grouping and precedence order: Admin by priority then name, rules by index; Baseline
// dropped for pods a NetworkPolicy isolates in that direction, kept in the other direction; a pod only
// ClusterNetworkPolicies select gets a group that is not isolated.
func TestClusterTiers(t *testing.T) {
	c := std(
		clusterPolicy("b-admin", cnp.AdminTier, 5, subjectNS(match("team", "blue")),
			cOut(deny, to(nsPeer(match("team", "red"))), ctcp(80)),
			cOut(pass, to(netPeer("10.0.0.0/8")))),
		clusterPolicy("a-admin", cnp.AdminTier, 5, subjectPods(match(), match("tier", "web")),
			cIn(accept, to(podPeer(match("team", "red"), match("app", "a"))))),
		clusterPolicy("first", cnp.AdminTier, 1, subjectNS(match("team", "blue")),
			cOut(accept, to(nsPeer(match("env", "dev"))), cudpRange(5000, 6000))),
		clusterPolicy("base", cnp.BaselineTier, 0, subjectNS(match()),
			cIn(deny, to(nsPeer(match()))), cOut(deny, to(netPeer("0.0.0.0/0", "::/0")))),
		policy("x", "np", selecting("app", "a"), ingress(pods(match("app", "b")))),
	)
	n, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	want := lines(
		"ingress|x/np|A:a-admin members=x/a",
		"  x/np[0] peers=x/b ports=all",
		"  A a-admin p5 ingress[0] Accept peers=y/a ports=all",
		"ingress||A:a-admin|B:base members=y/b",
		"  A a-admin p5 ingress[0] Accept peers=y/a ports=all",
		"  B base p0 ingress[0] Deny peers=x/a,x/b,x/c,y/a,y/b,z/a,w/a ports=all",
		"ingress||B:base members=x/b",
		"  B base p0 ingress[0] Deny peers=x/a,x/b,x/c,y/a,y/b,z/a,w/a ports=all",
		"egress||A:first,b-admin|B:base members=x/a,x/b",
		"  A first p1 egress[0] Accept peers=y/a,y/b ports=UDP/5000-6000",
		"  A b-admin p5 egress[0] Deny peers=y/a,y/b ports=TCP/80",
		"  A b-admin p5 egress[1] Pass peers=10.0.0.0/8 ports=all",
		"  B base p0 egress[0] Deny peers=0.0.0.0/0,::/0 ports=all",
		"egress||B:base members=y/b",
		"  B base p0 egress[0] Deny peers=0.0.0.0/0,::/0 ports=all",
	)
	if got := render(n, c); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	for _, g := range n.Groups {
		if got, want := g.Isolated(), strings.Contains(g.Key, "x/np"); got != want {
			t.Errorf("%s: Isolated() = %v, want %v", g.Key, got, want)
		}
	}
}

// TestClusterPeers covers nodes peers (InternalIP/ExternalIP only), networks, named ports on both sides,
// host-network pods (never subjects or peers) and fail-closed peers.
func TestClusterPeers(t *testing.T) {
	linux := map[string]string{"kubernetes.io/os": "linux"}
	c := std(
		node("n1", linux, "192.168.0.1", "fd00:ff::1"),
		node("n2", map[string]string{"kubernetes.io/os": "windows"}, "192.168.0.2"),
		pod("x", "h", onNode("n1"), hostNetwork(), ip("192.168.0.1")),
		pod("y", "c", onNode("n2"), labeled("app", "c"), ip("10.2.0.3"), cport("web", 8080, "")),
		pod("x", "d", onNode("n1"), labeled("app", "d"), ip("10.1.0.4"), cport("dns", 53, corev1.ProtocolUDP)),
		clusterPolicy("adm", cnp.AdminTier, 3, subjectNS(match("team", "blue")),
			cOut(accept, to(nodePeer(match("kubernetes.io/os", "linux"))), ctcp(10250)),
			cOut(accept, to(podPeer(match("team", "red"), match())), cnamed("web")),
			cOut(deny, to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"example.com"}})),
			cOut(accept, to(cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"example.org"}})),
			cIn(accept, to(nsPeer(match("team", "red"))), cnamed("dns"))),
	)
	n, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	// x/h is host-network on n1: its address is n1's, listed as a node address, never as a pod.
	want := lines(
		"ingress||dns/TCP=-,dns/UDP=-,dns/SCTP=-|A:adm members=x/a,x/b",
		"  A adm p3 ingress[0] Accept peers=y/a,y/b,y/c ports=none",
		"ingress||dns/TCP=-,dns/UDP=53,dns/SCTP=-|A:adm members=x/d",
		"  A adm p3 ingress[0] Accept peers=y/a,y/b,y/c ports=UDP/53",
		"egress||A:adm members=x/a,x/b,x/d",
		"  A adm p3 egress[0] Accept peers=x/h,fd00:ff::1~6 ports=TCP/10250",
		"  A adm p3 egress[1] Accept peers=y/a,y/b,y/c ports=none pairs=y/c@TCP/8080",
		"  A adm p3 egress[2] Deny peers=any ports=all unenforced=spec.egress[2].to[0].domainNames",
		"  A adm p3 egress[3] Accept peers=none ports=all unenforced=spec.egress[3].to[0].domainNames",
	)
	if got := render(n, c); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

// TestClusterValidation checks that every CRD rule nftpolicy mirrors fails the build with one error naming the
// ClusterNetworkPolicy and the field.
func TestClusterValidation(t *testing.T) {
	bad := func(opts ...cnpOpt) *cnp.ClusterNetworkPolicy {
		return clusterPolicy("bad", cnp.AdminTier, 1, opts...)
	}
	set := func(f func(*cnp.ClusterNetworkPolicy)) cnpOpt { return f }
	tests := []struct {
		name string
		p    *cnp.ClusterNetworkPolicy
		want string
	}{
		{"tier", bad(set(func(p *cnp.ClusterNetworkPolicy) { p.Spec.Tier = "Root" })),
			`ClusterNetworkPolicy bad: spec.tier: unsupported tier "Root" (want Admin or Baseline)`},
		{"priority", bad(set(func(p *cnp.ClusterNetworkPolicy) { p.Spec.Priority = 1001 })),
			"ClusterNetworkPolicy bad: spec.priority: invalid priority 1001 (want 0-1000)"},
		{"no subject", bad(set(func(p *cnp.ClusterNetworkPolicy) { p.Spec.Subject = cnp.ClusterNetworkPolicySubject{} })),
			"ClusterNetworkPolicy bad: spec.subject: set exactly one of namespaces and pods"},
		{"action", bad(cOut("Allow", to(nsPeer(match())))),
			`ClusterNetworkPolicy bad: spec.egress[0].action: unsupported action "Allow" (want Accept, Deny or Pass)`},
		{"no peers", bad(cIn(deny, nil)), "ClusterNetworkPolicy bad: spec.ingress[0].from: required: at least one peer"},
		{"two peer fields", bad(cOut(deny, to(cnp.ClusterNetworkPolicyEgressPeer{Namespaces: match(), Networks: []cnp.CIDR{"10.0.0.0/8"}}))),
			"ClusterNetworkPolicy bad: spec.egress[0].to[0]: set exactly one of namespaces, networks"},
		{"host bits", bad(cOut(deny, to(netPeer("10.0.0.1/8")))),
			`ClusterNetworkPolicy bad: spec.egress[0].to[0].networks[0]: invalid CIDR "10.0.0.1/8": host bits set (want 10.0.0.0/8)`},
		{"bad CIDR", bad(cOut(deny, to(netPeer("10.0.0/8")))),
			`ClusterNetworkPolicy bad: spec.egress[0].to[0].networks[0]: invalid CIDR "10.0.0/8"`},
		{"range start == end", bad(cOut(deny, to(nsPeer(match())), cudpRange(80, 80))),
			"ClusterNetworkPolicy bad: spec.egress[0].protocols[0].udp.destinationPort.range: start 80 must be less than end 80"},
		{"port 0", bad(cIn(deny, to(nsPeer(match())), ctcp(0))),
			"ClusterNetworkPolicy bad: spec.ingress[0].protocols[0].tcp.destinationPort.number: invalid port 0 (want 1-65535)"},
		{"protocol without port", bad(cIn(deny, to(nsPeer(match())), cnp.ClusterNetworkPolicyProtocol{TCP: &cnp.ClusterNetworkPolicyProtocolTCP{}})),
			"ClusterNetworkPolicy bad: spec.ingress[0].protocols[0].tcp.destinationPort: required"},
		{"named port with networks", bad(cOut(accept, to(netPeer("10.0.0.0/8")), cnamed("web"))),
			"ClusterNetworkPolicy bad: spec.egress[0].protocols[0].destinationNamedPort: not allowed with spec.egress[0].to[0].networks: only pods have named ports"},
		{"selector", bad(subjectNS(exprs(expr("k", "Bogus")))),
			"ClusterNetworkPolicy bad: spec.subject.namespaces.matchExpressions[0]: invalid requirement"},
		{"listed twice", nil, "ClusterNetworkPolicy twice: listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := std(tt.p)
			if tt.p == nil {
				c = std(clusterPolicy("twice", cnp.AdminTier, 1), clusterPolicy("twice", cnp.AdminTier, 2))
			}
			_, err := Node(c, "n1")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
			if tt.p != nil {
				if err := ValidateCluster(tt.p); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Errorf("ValidateCluster = %v, want prefix %q", err, tt.want)
				}
			}
		})
	}
}

// TestClusterFailClosed checks the API's fail-closed rule for what this build cannot read — a peer without a
// known field, a protocols entry without one, a peer selector the API server stores but no selector can be made
// of: an Accept rule matches nothing (its other peers neither), a Deny or Pass rule becomes Deny all. domainNames,
// known but not enforceable, only drop that peer in an Accept rule, and make a Deny or Pass rule deny every
// address on its protocols.
func TestClusterFailClosed(t *testing.T) {
	unknown := cnp.ClusterNetworkPolicyEgressPeer{}
	badSel := nsPeer(exprs(expr("team", "in", "red")))
	domain := cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{"example.com"}}
	fc := clusterPolicy("fc", cnp.AdminTier, 1, subjectPods(match("team", "blue"), match("app", "a")),
		cOut(accept, to(nsPeer(match("team", "red")), unknown)),
		cOut(pass, to(domain), ctcp(443)),
		cOut(deny, to(unknown), cnamed("db")),
		cOut(accept, to(nsPeer(match("team", "red"))), cnp.ClusterNetworkPolicyProtocol{}),
		cOut(accept, to(nsPeer(match("team", "red")), domain)),
		cIn(pass, to(badSel), ctcp(80)),
	)
	c := std(fc)
	n, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	want := lines(
		"ingress||A:fc members=x/a",
		"  A fc p1 ingress[0] Deny peers=any ports=all unenforced=spec.ingress[0].from[0].namespaces",
		"egress||A:fc members=x/a",
		"  A fc p1 egress[0] Accept peers=none ports=none unenforced=spec.egress[0].to[1]",
		"  A fc p1 egress[1] Deny peers=any ports=TCP/443 unenforced=spec.egress[1].to[0].domainNames",
		"  A fc p1 egress[2] Deny peers=any ports=all unenforced=spec.egress[2].to[0]",
		"  A fc p1 egress[3] Accept peers=none ports=none unenforced=spec.egress[3].protocols[0]",
		"  A fc p1 egress[4] Accept peers=y/a,y/b ports=all unenforced=spec.egress[4].to[1].domainNames",
	)
	if got := render(n, c); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	fields, err := UnenforcedFields(fc)
	wantFields := "spec.ingress[0].from[0].namespaces spec.egress[0].to[1] spec.egress[1].to[0].domainNames " +
		"spec.egress[2].to[0] spec.egress[3].protocols[0] spec.egress[4].to[1].domainNames"
	if err != nil || strings.Join(fields, " ") != wantFields {
		t.Errorf("UnenforcedFields = %v, %v; want %s", fields, err, wantFields)
	}
}

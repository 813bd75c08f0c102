package fuzz

import (
	"math"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// ClusterNetworkPolicy limits of the v1beta1 CRD that the generator reaches.
const (
	maxClusterPriority = 1000
	maxRuleName        = 100
)

var (
	// priorities is mostly a few values, so that policies of one tier often tie and their names decide.
	priorities  = []int32{0, 10, 10, 20, 100, maxClusterPriority}
	ruleNames   = []string{"", "allow-dns", "deny all", longName(4, maxRuleName, false)}
	domainNames = []cnp.DomainName{"example.com", "*.example.com", "kubernetes.io", "svc.cluster.local"}
	// ingressKinds maps the peer kinds of egress (clusterPeer) to those of ingress: namespaces (0), pods (1),
	// none known (5) and every namespace (6) stay, the others become one of these.
	ingressKinds = [8]byte{0, 1, 0, 1, 6, 5, 6, 5}
	// badNetworks are refused in networks: host bits set, an IPv4-mapped IPv6 prefix, unparsable ones.
	badNetworks = append([]string{"10.0.0.1/24", "fd00::1/64"}, badCIDRs...)
)

// clusterPolicy returns a ClusterNetworkPolicy without rules: a name, a tier, a priority and a subject; in
// invalid inputs also a bad tier, priority or subject.
func (d *decoder) clusterPolicy() *cnp.ClusterNetworkPolicy {
	p := &cnp.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: d.name(maxName)}}
	t := d.r.next()
	p.Spec.Tier = []cnp.Tier{cnp.AdminTier, cnp.BaselineTier}[t%2]
	if t >= 0xf8 && d.spoil() {
		p.Spec.Tier = []cnp.Tier{"", "Application", "admin"}[int(t/2)%3]
	}
	p.Spec.Priority = d.priority()
	d.subject(&p.Spec.Subject)
	return p
}

// priority returns a priority from the pool or any of 0-1000; in invalid inputs also one outside.
func (d *decoder) priority() int32 {
	k := d.r.next()
	switch {
	case k >= 0xf8 && d.spoil():
		return []int32{-1, maxClusterPriority + 1, math.MaxInt32, math.MinInt32}[k%4]
	case k < 0xc0:
		return priorities[int(k)%len(priorities)]
	}
	return int32(d.r.u16() % (maxClusterPriority + 1))
}

// subject sets the pods a policy applies to: the pods of the namespaces a selector picks (every namespace with
// {}), or pods by namespace and pod selector (mostly in every namespace, so that random inputs select pods
// often); in invalid inputs also both or neither.
func (d *decoder) subject(s *cnp.ClusterNetworkPolicySubject) {
	k := d.r.next()
	switch k % 4 {
	case 0:
		s.Namespaces = d.selector()
	case 1:
		s.Namespaces = &metav1.LabelSelector{}
	case 2:
		s.Pods = &cnp.NamespacedPod{PodSelector: *d.selector()}
	default:
		s.Pods = d.namespacedPod()
	}
	if k >= 0xf8 && d.spoil() {
		if k&1 == 0 {
			s.Namespaces, s.Pods = nil, nil
		} else {
			s.Namespaces, s.Pods = d.selector(), d.namespacedPod()
		}
	}
}

func (d *decoder) namespacedPod() *cnp.NamespacedPod {
	return &cnp.NamespacedPod{NamespaceSelector: *d.selector(), PodSelector: *d.selector()}
}

// ruleName returns a rule's optional name, up to the limit; in invalid inputs also one byte longer.
func (d *decoder) ruleName() string {
	k := d.r.next()
	if k >= 0xf8 && d.spoil() {
		return longName(k, maxRuleName+1, false)
	}
	return ruleNames[int(k)%len(ruleNames)]
}

// action returns Accept, Deny or Pass; in invalid inputs also an unknown one.
func (d *decoder) action() cnp.ClusterNetworkPolicyRuleAction {
	k := d.r.next()
	if k >= 0xf8 && d.spoil() {
		return []cnp.ClusterNetworkPolicyRuleAction{"", "Allow", "accept"}[k%3]
	}
	return []cnp.ClusterNetworkPolicyRuleAction{cnp.ClusterNetworkPolicyRuleActionAccept,
		cnp.ClusterNetworkPolicyRuleActionDeny, cnp.ClusterNetworkPolicyRuleActionPass}[k%3]
}

// clusterRule appends a rule with its first peer to the last ClusterNetworkPolicy (the API requires a peer;
// opClusterPeer adds more). In invalid inputs the rule may have none.
func (d *decoder) clusterRule(egress bool) {
	name, action := d.ruleName(), d.action()
	peer, ok := d.clusterPeer(egress)
	p := d.lastCNP
	if p == nil {
		return
	}
	if egress && len(p.Spec.Egress) < maxRules {
		r := cnp.ClusterNetworkPolicyEgressRule{Name: name, Action: action, To: []cnp.ClusterNetworkPolicyEgressPeer{}}
		if ok {
			r.To = append(r.To, peer)
		}
		p.Spec.Egress = append(p.Spec.Egress, r)
		d.cnpEgress = true
	}
	if !egress && len(p.Spec.Ingress) < maxRules {
		r := cnp.ClusterNetworkPolicyIngressRule{Name: name, Action: action, From: []cnp.ClusterNetworkPolicyIngressPeer{}}
		if ok {
			r.From = append(r.From, ingressPeer(peer))
		}
		p.Spec.Ingress = append(p.Spec.Ingress, r)
		d.cnpEgress = false
	}
}

// addClusterPeer appends a peer to the last rule of the last ClusterNetworkPolicy. A peer that allows no named
// port (networks, nodes, domainNames) next to a named port becomes a namespaces peer, but in invalid inputs.
func (d *decoder) addClusterPeer() {
	peer, ok := d.clusterPeer(d.cnpEgress)
	p := d.lastCNP
	switch {
	case p == nil || !ok:
	case d.cnpEgress && len(p.Spec.Egress) > 0:
		r := &p.Spec.Egress[len(p.Spec.Egress)-1]
		if len(r.To) >= maxPeers {
			return
		}
		if noNamedPorts(peer) && hasNamedPort(r.Protocols) && !d.spoil() {
			peer = cnp.ClusterNetworkPolicyEgressPeer{Namespaces: &metav1.LabelSelector{}}
		}
		r.To = append(r.To, peer)
	case !d.cnpEgress && len(p.Spec.Ingress) > 0:
		r := &p.Spec.Ingress[len(p.Spec.Ingress)-1]
		if len(r.From) < maxPeers {
			r.From = append(r.From, ingressPeer(peer))
		}
	}
}

// clusterPeer returns a peer: namespaces, pods (every namespace or pod with {}), networks, nodes, domainNames, or
// none of the fields this API version knows (a peer of a newer one, which fails closed); ingress peers only
// namespaces, pods or none known. In invalid inputs also two fields, an empty list, or — ok false — no peer.
func (d *decoder) clusterPeer(egress bool) (p cnp.ClusterNetworkPolicyEgressPeer, ok bool) {
	k := d.r.next()
	kind := k % 8
	if !egress {
		kind = ingressKinds[kind]
	}
	switch kind {
	case 0:
		p.Namespaces = d.selector()
	case 1:
		p.Pods = d.namespacedPod()
	case 2, 7:
		p.Networks = d.networks()
	case 3:
		p.Nodes = d.selector()
	case 4:
		i := d.r.intn(len(domainNames))
		p.DomainNames = slices.Clone(domainNames[i:min(len(domainNames), i+1+d.r.intn(2))])
	case 6:
		p.Namespaces = &metav1.LabelSelector{}
	}
	if k >= 0xf0 && d.spoil() {
		bad := d.r.intn(5)
		if !egress && bad != 4 {
			bad = 0
		}
		switch bad {
		case 0:
			p.Namespaces, p.Pods = d.selector(), d.namespacedPod()
		case 1:
			p.Networks, p.Nodes = d.networks(), d.selector()
		case 2:
			p = cnp.ClusterNetworkPolicyEgressPeer{Networks: []cnp.CIDR{}}
		case 3:
			p = cnp.ClusterNetworkPolicyEgressPeer{DomainNames: []cnp.DomainName{}}
		default:
			return p, false
		}
	}
	return p, true
}

// ingressPeer is p as an ingress peer: its namespaces and pods.
func ingressPeer(p cnp.ClusterNetworkPolicyEgressPeer) cnp.ClusterNetworkPolicyIngressPeer {
	return cnp.ClusterNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: p.Pods}
}

// noNamedPorts reports whether p is a peer that a named port may not be combined with: only pods have them.
func noNamedPorts(p cnp.ClusterNetworkPolicyEgressPeer) bool {
	return p.Networks != nil || p.Nodes != nil || p.DomainNames != nil
}

// networks returns one to three CIDRs without host bits; in invalid inputs also refused ones.
func (d *decoder) networks() []cnp.CIDR {
	out := make([]cnp.CIDR, 1+d.r.intn(3))
	for i := range out {
		c := d.r.next()
		p := d.prefix(c).Masked()
		out[i] = cnp.CIDR(p.String())
		if c >= 0xf8 && d.spoil() {
			out[i] = cnp.CIDR(badNetworks[int(c)%len(badNetworks)])
		}
	}
	return out
}

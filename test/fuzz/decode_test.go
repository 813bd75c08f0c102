package fuzz

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// The operations of the input stream, one byte each (modulo opCount), followed by their arguments.
const (
	opNamespace     = iota // name, labels
	opPod                  // namespace, name, node, phase, flags, addresses, labels
	opContainerPort        // on the last pod
	opPolicy               // namespace, name, podSelector, policyTypes
	opIngress              // a rule on the last policy
	opEgress
	opPeer // on the last rule
	opPort // on the last rule
	opMark // the cluster so far is the previous state
	opDelete
	opRelabel         // a copy of a pod, namespace or node with new labels (and addresses) replaces it
	opClusterPolicy   // name, tier, priority, subject
	opClusterIngress  // a rule on the last ClusterNetworkPolicy: name, action, its first peer
	opClusterEgress   // likewise, an egress rule
	opClusterPeer     // on the last ClusterNetworkPolicy rule
	opClusterProtocol // on the last ClusterNetworkPolicy rule
	opNode            // name, labels, addresses
	opCount
)

// Bounds that keep each input small enough for hundreds of kernel round trips a second.
const (
	maxOps        = 300
	maxNamespaces = 6
	maxPods       = 16
	maxPolicies   = 10
	maxRules      = 4 // per direction and policy
	maxPeers      = 4 // per rule
	maxPorts      = 4 // per rule
	// ClusterNetworkPolicies use maxRules, maxPeers and maxPorts (for protocols) too.
	maxClusterPolicies = 8
	maxNodes           = 4
)

// decoded is the cluster an input describes.
type decoded struct {
	node string
	cur  build.Cluster
	// prev is the cluster at the last opMark (nil without one); it shares objects with cur, as an informer's
	// cache does between two syncs.
	prev *build.Cluster
	// maybeInvalid says an invalid value was generated: only then may build.Node fail.
	maybeInvalid bool
}

type decoder struct {
	r reader
	// invalid allows invalid values (the first byte says so); maybeInvalid records that one was generated.
	invalid, maybeInvalid bool
	c                     build.Cluster
	prev                  *build.Cluster
	// lastPod and lastPol are what the "last" operations change; both are cleared at a mark, so an object the
	// marked state holds is never changed afterwards.
	lastPod *corev1.Pod
	lastPol *networkingv1.NetworkPolicy
	egress  bool // the last rule is lastPol's last egress rule, else its last ingress rule
	// lastCNP is what the ClusterNetworkPolicy rule operations change, also cleared at a mark; cnpEgress says
	// its last rule is an egress rule.
	lastCNP   *cnp.ClusterNetworkPolicy
	cnpEgress bool
}

// spoil reports whether an invalid value may be generated, and records that one was.
func (d *decoder) spoil() bool {
	if d.invalid {
		d.maybeInvalid = true
	}
	return d.invalid
}

// decode turns fuzz input into a cluster. The first byte picks the node ("", n1 or n2: pods run on n1 or n2 or
// none) and, in one input of four, allows invalid values.
func decode(data []byte) *decoded {
	d := &decoder{r: reader{b: data}}
	h := d.r.next()
	node := []string{"", "n1", "n2", "n1"}[h%4]
	d.invalid = h&0x30 == 0x30
	for n := 0; n < maxOps && !d.r.done(); n++ {
		d.op(d.r.intn(opCount))
	}
	return &decoded{node: node, cur: d.c, prev: d.prev, maybeInvalid: d.maybeInvalid}
}

func (d *decoder) op(op int) {
	switch op {
	case opNamespace:
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: d.name(maxNamespace), Labels: d.labels()}}
		if len(d.c.Namespaces) < maxNamespaces && d.unique(taken(d.c.Namespaces, ns)) {
			d.c.Namespaces = append(d.c.Namespaces, ns)
		}
	case opPod:
		p := d.pod()
		if len(d.c.Pods) < maxPods && d.unique(taken(d.c.Pods, p)) {
			d.c.Pods = append(d.c.Pods, p)
			d.lastPod = p
		}
	case opContainerPort:
		if d.lastPod != nil && len(d.lastPod.Spec.Containers)+len(d.lastPod.Spec.InitContainers) < 8 {
			d.containerPort(d.lastPod)
		}
	case opPolicy:
		p := d.policy()
		if len(d.c.Policies) < maxPolicies && d.unique(taken(d.c.Policies, p)) {
			d.c.Policies = append(d.c.Policies, p)
			d.lastPol = p
		}
	case opIngress:
		if p := d.lastPol; p != nil && len(p.Spec.Ingress) < maxRules {
			p.Spec.Ingress = append(p.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{})
			d.egress = false
		}
	case opEgress:
		if p := d.lastPol; p != nil && len(p.Spec.Egress) < maxRules {
			p.Spec.Egress = append(p.Spec.Egress, networkingv1.NetworkPolicyEgressRule{})
			d.egress = true
		}
	case opPeer:
		peer := d.peer()
		if peers := d.lastPeers(); peers != nil && len(*peers) < maxPeers {
			*peers = append(*peers, peer)
		}
	case opPort:
		port := d.port()
		if ports := d.lastPorts(); ports != nil && len(*ports) < maxPorts {
			*ports = append(*ports, port)
		}
	case opMark:
		d.prev = &build.Cluster{
			Namespaces: slices.Clone(d.c.Namespaces), Pods: slices.Clone(d.c.Pods), Policies: slices.Clone(d.c.Policies),
			ClusterPolicies: slices.Clone(d.c.ClusterPolicies), Nodes: slices.Clone(d.c.Nodes),
		}
		d.lastPod, d.lastPol, d.lastCNP = nil, nil, nil
	case opDelete:
		d.delete()
	case opRelabel:
		d.relabel()
	default:
		d.clusterOp(op)
	}
}

// clusterOp runs the operations of ClusterNetworkPolicies and Nodes (cluster_test.go, nodes_test.go).
func (d *decoder) clusterOp(op int) {
	switch op {
	case opClusterPolicy:
		p := d.clusterPolicy()
		if len(d.c.ClusterPolicies) < maxClusterPolicies && d.unique(taken(d.c.ClusterPolicies, p)) {
			d.c.ClusterPolicies = append(d.c.ClusterPolicies, p)
			d.lastCNP = p
		}
	case opClusterIngress:
		d.clusterRule(false)
	case opClusterEgress:
		d.clusterRule(true)
	case opClusterPeer:
		d.addClusterPeer()
	case opClusterProtocol:
		d.addClusterProtocol()
	case opNode:
		n := d.node()
		if len(d.c.Nodes) < maxNodes && d.unique(taken(d.c.Nodes, n)) {
			d.c.Nodes = append(d.c.Nodes, n)
		}
	}
}

// taken reports whether an object of list has the namespace and name of o.
func taken[T metav1.Object](list []T, o T) bool {
	return slices.ContainsFunc(list, func(x T) bool { return x.GetNamespace() == o.GetNamespace() && x.GetName() == o.GetName() })
}

// unique says whether an object whose name is taken (dup) may be added: always in invalid inputs (the build
// then fails with "listed twice"), never in valid ones.
func (d *decoder) unique(dup bool) bool {
	return !dup || d.spoil()
}

func (d *decoder) pod() *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: d.name(maxNamespace), Name: d.name(maxName)}}
	p.Spec.NodeName = []string{"n1", "n2", "", "n1"}[d.r.intn(4)]
	p.Status.Phase = []corev1.PodPhase{corev1.PodRunning, corev1.PodRunning, corev1.PodPending, corev1.PodSucceeded,
		corev1.PodFailed, ""}[d.r.intn(6)]
	p.Spec.HostNetwork = d.r.intn(8) == 0
	d.addresses(p)
	p.Labels = d.labels()
	return p
}

func (d *decoder) policy() *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Namespace: d.name(maxNamespace), Name: d.name(maxName)}}
	p.Spec.PodSelector = *d.selector()
	in, eg := networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress
	switch t := d.r.next(); t % 8 {
	case 3:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{in}
	case 4:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{eg}
	case 5:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{in, eg}
	case 6:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{eg, in}
	case 7:
		p.Spec.PolicyTypes = []networkingv1.PolicyType{in, in}
		if t >= 0xf0 && d.spoil() {
			p.Spec.PolicyTypes = [][]networkingv1.PolicyType{{"Both"}, {in, eg, in}}[t/8%2]
		}
	}
	return p
}

// peer returns a peer: a pod selector, a namespace selector, both, or an ipBlock; in invalid inputs also an
// ipBlock with a selector, or nothing at all.
func (d *decoder) peer() networkingv1.NetworkPolicyPeer {
	var p networkingv1.NetworkPolicyPeer
	switch k := d.r.next(); k % 8 {
	case 0, 1:
		p.PodSelector = d.selector()
	case 2:
		p.NamespaceSelector = d.selector()
	case 3, 4:
		p.NamespaceSelector, p.PodSelector = d.selector(), d.selector()
	case 5, 6:
		p.IPBlock = d.ipBlock()
	case 7:
		p.NamespaceSelector = &metav1.LabelSelector{}
		if k >= 0xf0 && d.spoil() {
			p.NamespaceSelector = nil
			if k&8 != 0 {
				p.IPBlock, p.PodSelector = d.ipBlock(), d.selector()
			}
		}
	}
	return p
}

func (d *decoder) lastPeers() *[]networkingv1.NetworkPolicyPeer {
	switch p := d.lastPol; {
	case p == nil:
		return nil
	case d.egress && len(p.Spec.Egress) > 0:
		return &p.Spec.Egress[len(p.Spec.Egress)-1].To
	case !d.egress && len(p.Spec.Ingress) > 0:
		return &p.Spec.Ingress[len(p.Spec.Ingress)-1].From
	}
	return nil
}

func (d *decoder) lastPorts() *[]networkingv1.NetworkPolicyPort {
	switch p := d.lastPol; {
	case p == nil:
		return nil
	case d.egress && len(p.Spec.Egress) > 0:
		return &p.Spec.Egress[len(p.Spec.Egress)-1].Ports
	case !d.egress && len(p.Spec.Ingress) > 0:
		return &p.Spec.Ingress[len(p.Spec.Ingress)-1].Ports
	}
	return nil
}

// delete removes a namespace, pod, policy, ClusterNetworkPolicy or node from the current cluster (the marked one
// keeps it).
func (d *decoder) delete() {
	k, i := d.r.next(), int(d.r.next())
	switch k % 5 {
	case 0:
		if n := len(d.c.Namespaces); n > 0 {
			d.c.Namespaces = slices.Delete(d.c.Namespaces, i%n, i%n+1)
		}
	case 1:
		if n := len(d.c.Pods); n > 0 {
			if d.c.Pods[i%n] == d.lastPod {
				d.lastPod = nil
			}
			d.c.Pods = slices.Delete(d.c.Pods, i%n, i%n+1)
		}
	case 2:
		if n := len(d.c.Policies); n > 0 {
			if d.c.Policies[i%n] == d.lastPol {
				d.lastPol = nil
			}
			d.c.Policies = slices.Delete(d.c.Policies, i%n, i%n+1)
		}
	case 3:
		if n := len(d.c.ClusterPolicies); n > 0 {
			if d.c.ClusterPolicies[i%n] == d.lastCNP {
				d.lastCNP = nil
			}
			d.c.ClusterPolicies = slices.Delete(d.c.ClusterPolicies, i%n, i%n+1)
		}
	default:
		if n := len(d.c.Nodes); n > 0 {
			d.c.Nodes = slices.Delete(d.c.Nodes, i%n, i%n+1)
		}
	}
}

// relabel replaces a namespace, pod or node by a copy with new labels (a pod also with new addresses, node or
// phase now and then, a node with new addresses), as an informer replaces an object on update. The pod copy
// becomes the last pod.
func (d *decoder) relabel() {
	k, i := d.r.next(), int(d.r.next())
	if k&0x10 != 0 {
		if n := len(d.c.Nodes); n > 0 {
			node := d.c.Nodes[i%n].DeepCopy()
			node.Labels = d.labels()
			if k&2 != 0 {
				d.nodeAddresses(node)
			}
			d.c.Nodes[i%n] = node
		}
		return
	}
	if k%2 == 0 {
		if n := len(d.c.Namespaces); n > 0 {
			ns := d.c.Namespaces[i%n].DeepCopy()
			ns.Labels = d.labels()
			d.c.Namespaces[i%n] = ns
		}
		return
	}
	if n := len(d.c.Pods); n > 0 {
		p := d.c.Pods[i%n].DeepCopy()
		p.Labels = d.labels()
		if k&2 != 0 {
			d.addresses(p)
		}
		if k&4 != 0 {
			p.Status.Phase = corev1.PodSucceeded
		}
		if k&8 != 0 {
			p.Spec.NodeName = "n2"
		}
		d.c.Pods[i%n] = p
		d.lastPod = p
	}
}

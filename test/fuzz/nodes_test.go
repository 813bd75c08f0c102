package fuzz

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var (
	// nodeNames are mostly the nodes pods run on (n1, n2) and one without pods.
	nodeNames     = []string{"n1", "n2", "n3"}
	nodeAddrTypes = []corev1.NodeAddressType{corev1.NodeInternalIP, corev1.NodeExternalIP, corev1.NodeHostName,
		corev1.NodeInternalDNS}
	// oddNodeAddrs are entries no packet carries: names, and addresses the builder cannot parse and leaves out.
	oddNodeAddrs = []string{"n1", "node-1.example.com", "10.0.0.256", "fe80::1%eth0", ""}
)

// node returns a Node: a name, labels from the pools selectors use, and addresses.
func (d *decoder) node() *corev1.Node {
	k := d.r.next()
	name := nodeNames[int(k)%len(nodeNames)]
	if k >= 0xc0 {
		name = d.name(maxName)
	}
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: d.labels()}}
	d.nodeAddresses(n)
	return n
}

// nodeAddresses sets status.addresses: up to three entries of type InternalIP, ExternalIP, Hostname or
// InternalDNS, each an IPv4 or IPv6 address from the pods' space (so node and pod peers overlap now and then),
// an odd address, a name, or an unparsable address.
func (d *decoder) nodeAddresses(n *corev1.Node) {
	k := d.r.next()
	n.Status.Addresses = nil
	for range int(k % 4) {
		t := d.r.next()
		a := corev1.NodeAddress{Type: nodeAddrTypes[t%4]}
		switch t / 4 % 4 {
		case 0:
			a.Address = d.v4()
		case 1:
			a.Address = d.v6()
		case 2:
			a.Address = oddAddrs[d.r.intn(len(oddAddrs))]
		default:
			a.Address = oddNodeAddrs[d.r.intn(len(oddNodeAddrs))]
		}
		n.Status.Addresses = append(n.Status.Addresses, a)
	}
}

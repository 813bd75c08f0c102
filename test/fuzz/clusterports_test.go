package fuzz

import (
	"slices"

	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// clusterProtocol returns a protocols entry: a TCP, UDP or SCTP port number or range (every port now and then), a
// named port, or an entry this API version does not know (Accept matches nothing more, Deny and Pass every
// port); in invalid inputs also one without destinationPort, with both number and range, a range whose start is
// not below its end or outside 1-65535, an out-of-range number, two protocols, or a bad port name.
func (d *decoder) clusterProtocol() cnp.ClusterNetworkPolicyProtocol {
	k := d.r.next()
	var pr cnp.ClusterNetworkPolicyProtocol
	n := d.number()
	var port *cnp.Port
	switch k % 8 {
	case 0, 1, 2:
		port = &cnp.Port{Number: n}
	case 3, 4:
		start := min(n, 65534)
		end := min(65535, start+1+int32(d.r.u16()>>d.r.intn(16)))
		port = &cnp.Port{Range: &cnp.PortRange{Start: start, End: end}}
	case 5:
		pr.DestinationNamedPort = portNames[d.r.intn(len(portNames))]
	case 6: // unknown: none of the fields this build knows
	case 7:
		port = &cnp.Port{Range: &cnp.PortRange{Start: 1, End: 65535}}
	}
	which := d.r.intn(3)
	if port != nil {
		setProtocol(&pr, which, port)
	}
	if k >= 0xf0 && d.spoil() {
		pr = cnp.ClusterNetworkPolicyProtocol{}
		switch d.r.intn(7) {
		case 0:
			setProtocol(&pr, which, nil)
		case 1:
			setProtocol(&pr, which, &cnp.Port{Number: n, Range: &cnp.PortRange{Start: 1, End: 2}})
		case 2:
			s := max(2, n)
			setProtocol(&pr, which, &cnp.Port{Range: &cnp.PortRange{Start: s, End: s - int32(d.r.intn(2))}})
		case 3:
			setProtocol(&pr, which, &cnp.Port{Number: []int32{0, -1, 65536, 70000}[d.r.intn(4)]})
		case 4:
			setProtocol(&pr, which, &cnp.Port{Number: n})
			setProtocol(&pr, (which+1)%3, &cnp.Port{Number: n})
		case 5:
			pr.DestinationNamedPort = badPortNames[d.r.intn(len(badPortNames)-1)] // not "": that is no named port
		default:
			setProtocol(&pr, which, &cnp.Port{Range: []*cnp.PortRange{{Start: 0, End: 80}, {Start: 80, End: 65536}}[d.r.intn(2)]})
		}
	}
	return pr
}

// setProtocol sets TCP (which 0), UDP (1) or SCTP (2) of pr to port.
func setProtocol(pr *cnp.ClusterNetworkPolicyProtocol, which int, port *cnp.Port) {
	switch which {
	case 0:
		pr.TCP = &cnp.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}
	case 1:
		pr.UDP = &cnp.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}
	default:
		pr.SCTP = &cnp.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}
	}
}

// addClusterProtocol appends a protocols entry to the last rule of the last ClusterNetworkPolicy. A named port in
// a rule with a networks, nodes or domainNames peer becomes TCP 80, but in invalid inputs.
func (d *decoder) addClusterProtocol() {
	pr := d.clusterProtocol()
	p := d.lastCNP
	var protos *[]cnp.ClusterNetworkPolicyProtocol
	var peers []cnp.ClusterNetworkPolicyEgressPeer
	switch {
	case p == nil:
		return
	case d.cnpEgress && len(p.Spec.Egress) > 0:
		r := &p.Spec.Egress[len(p.Spec.Egress)-1]
		protos, peers = &r.Protocols, r.To
	case !d.cnpEgress && len(p.Spec.Ingress) > 0:
		protos = &p.Spec.Ingress[len(p.Spec.Ingress)-1].Protocols
	default:
		return
	}
	if len(*protos) >= maxPorts {
		return
	}
	if pr.DestinationNamedPort != "" && slices.ContainsFunc(peers, noNamedPorts) && !d.spoil() {
		pr = cnp.ClusterNetworkPolicyProtocol{}
		setProtocol(&pr, 0, &cnp.Port{Number: 80})
	}
	*protos = append(*protos, pr)
}

// hasNamedPort reports whether a protocols list holds a named port.
func hasNamedPort(protos []cnp.ClusterNetworkPolicyProtocol) bool {
	return slices.ContainsFunc(protos, func(p cnp.ClusterNetworkPolicyProtocol) bool { return p.DestinationNamedPort != "" })
}

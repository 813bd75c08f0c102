package build

import (
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// clusterRules returns c's rules of direction d with peers resolved, once per policy and build.
func (r *resolver) clusterRules(c *compiledCluster, d ir.Direction) []resolvedRule {
	rs := r.resolvedCluster[c]
	if rs == nil {
		rs = &[2][]resolvedRule{}
		r.resolvedCluster[c] = rs
	}
	if rs[d] != nil || len(c.rules[d]) == 0 {
		return rs[d]
	}
	out := make([]resolvedRule, len(c.rules[d]))
	for i := range c.rules[d] {
		out[i] = r.clusterRule(d, &c.rules[d][i])
	}
	rs[d] = out
	return out
}

// clusterRule resolves one rule. Unlike a NetworkPolicy rule, no peers means no address, not every address:
// a ClusterNetworkPolicy rule always lists peers, and an empty list here comes from peers it cannot enforce.
func (r *resolver) clusterRule(d ir.Direction, cr *clusterRule) resolvedRule {
	var rr resolvedRule
	switch {
	case cr.failClosed && cr.action == ir.Deny:
		return resolvedRule{peers: ir.Peers{Any: true}, allPorts: true}
	case cr.failClosed:
		return rr // matches nothing
	case cr.anyPeer:
		rr.peers = ir.Peers{Any: true}
	case len(cr.peers) > 0:
		rr.peers = r.peers("", cr.peers)
	}
	if len(cr.nodes) > 0 && !cr.anyPeer {
		addrs := slices.Clone(rr.peers.Addrs)
		for _, n := range cr.nodes {
			addrs = append(addrs, nodeAddrs(r.inv.nodes, n.sel)...)
		}
		slices.SortFunc(addrs, netip.Addr.Compare)
		rr.peers.Addrs = slices.Compact(addrs)
	}
	rr.allPorts = cr.allPorts
	rr.ports = numericPorts(cr.ports)
	var named []portName
	for _, ps := range cr.ports {
		if ps.name != "" {
			named = append(named, portName{ps.name, ps.proto})
		}
	}
	named = sortPortNames(named)
	switch {
	case len(named) == 0:
	case d == ir.Ingress:
		rr.named = named
	case len(cr.peers) > 0:
		// Validation allows named ports only with pod and namespace peers.
		rr.addrPorts = r.egressNamed("", cr.peers, named)
	}
	return rr
}

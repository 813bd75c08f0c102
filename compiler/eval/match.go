package eval

import (
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// matches reports whether a rule's match fields cover peer on proto/port: (peers and ports) or one of addrPorts.
// allPorts covers every protocol, those no port can name (ICMP) included; ports cover their own protocol only.
func matches(peers *ir.Peers, allPorts bool, ports []ir.Port, addrPorts []ir.AddrPort, peer netip.Addr,
	proto ir.Protocol, port uint16) bool {
	if (allPorts || portsContain(ports, proto, port)) && peersContain(peers, peer) {
		return true
	}
	for _, ap := range addrPorts {
		if ap.Addr == peer && portContains(ap.Port, proto, port) {
			return true
		}
	}
	return false
}

// ruleMatches reports whether the NetworkPolicy rule r allows peer on proto/port.
func ruleMatches(r *ir.Rule, peer netip.Addr, proto ir.Protocol, port uint16) bool {
	return matches(&r.Peers, r.AllPorts, r.Ports, r.AddrPorts, peer, proto, port)
}

// clusterRuleMatches reports whether the ClusterNetworkPolicy rule r matches peer on proto/port. Fields the
// build cannot enforce are already resolved in r (nothing for Accept, every address for Deny and Pass).
func clusterRuleMatches(r *ir.ClusterRule, peer netip.Addr, proto ir.Protocol, port uint16) bool {
	return matches(&r.Peers, r.AllPorts, r.Ports, r.AddrPorts, peer, proto, port)
}

// peersContain: Any, or one of Addrs (sorted and unique, as the IR promises), or inside a Block and outside all
// of its excepts.
func peersContain(p *ir.Peers, addr netip.Addr) bool {
	if p.Any {
		return true
	}
	if _, found := slices.BinarySearchFunc(p.Addrs, addr, netip.Addr.Compare); found {
		return true
	}
	for _, b := range p.Blocks {
		if blockContains(b, addr) {
			return true
		}
	}
	return false
}

func blockContains(b ir.IPBlock, addr netip.Addr) bool {
	if !b.CIDR.Contains(addr) {
		return false
	}
	for _, ex := range b.Except {
		if ex.Contains(addr) {
			return false
		}
	}
	return true
}

func portsContain(ports []ir.Port, proto ir.Protocol, port uint16) bool {
	for _, p := range ports {
		if portContains(p, proto, port) {
			return true
		}
	}
	return false
}

func portContains(p ir.Port, proto ir.Protocol, port uint16) bool {
	return p.Protocol == proto && p.First <= port && port <= p.Last
}

package compiler

import (
	"cmp"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// Names of the fixed objects of the table.
const (
	ForwardChain = "forward"
	IngressV4Map = "ingress-v4"
	IngressV6Map = "ingress-v6"
	EgressV4Map  = "egress-v4"
	EgressV6Map  = "egress-v6"
)

// Compile returns the desired table for node n.
func Compile(n *ir.Node) *nft.Table {
	t := &nft.Table{}
	maps := map[string]*nft.Set{
		IngressV4Map: dispatchMap(IngressV4Map, nft.IPv4Addr),
		IngressV6Map: dispatchMap(IngressV6Map, nft.IPv6Addr),
		EgressV4Map:  dispatchMap(EgressV4Map, nft.IPv4Addr),
		EgressV6Map:  dispatchMap(EgressV6Map, nft.IPv6Addr),
	}
	claimed := map[string]bool{} // map name + address already dispatched
	for i := range n.Groups {
		g := &n.Groups[i]
		chain, sets := compileGroup(g)
		t.Chains = append(t.Chains, chain)
		t.Sets = append(t.Sets, sets...)
		for _, m := range g.Members {
			for _, ip := range m.IPs {
				name := dispatchMapName(g.Direction, ip)
				// Two local pods with one address (a reused IP) cannot both be dispatched: the first group
				// in IR order keeps it, so the result stays deterministic.
				if claimed[name+ip.String()] {
					continue
				}
				claimed[name+ip.String()] = true
				maps[name].Elements = append(maps[name].Elements, nft.Element{
					Addr: ip, AddrLast: ip, Verdict: nft.Verdict{Kind: nft.Jump, Chain: chain.Name},
				})
			}
		}
	}
	for _, m := range maps {
		nft.SortElements(m.Elements)
		t.Sets = append(t.Sets, m)
	}
	t.Chains = append(t.Chains, forwardChain())
	slices.SortFunc(t.Sets, func(a, b *nft.Set) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(t.Chains, func(a, b *nft.Chain) int { return cmp.Compare(a.Name, b.Name) })
	return t
}

func dispatchMap(name string, key nft.KeyType) *nft.Set {
	return &nft.Set{Name: name, Key: []nft.KeyType{key}, Map: true}
}

func dispatchMapName(d ir.Direction, ip interface{ Is4() bool }) string {
	switch {
	case d == ir.Ingress && ip.Is4():
		return IngressV4Map
	case d == ir.Ingress:
		return IngressV6Map
	case ip.Is4():
		return EgressV4Map
	}
	return EgressV6Map
}

// forwardChain is the only base chain. Traffic the node itself sends (output hook) or receives (input hook) is
// never filtered: NetworkPolicy always allows a pod's own node to talk to it and be talked to.
func forwardChain() *nft.Chain {
	accept := nft.Verdict{Kind: nft.Accept}
	return &nft.Chain{
		Name: ForwardChain,
		Hook: &nft.Hook{Name: "forward"},
		Rules: []nft.Rule{
			{Match: nft.CtEstablishedRelated, Verdict: accept},
			{Match: nft.ICMPv6NeighborDiscovery, Verdict: accept},
			{Match: nft.VerdictMap, Fields: []nft.Field{nft.IPSaddr}, Set: EgressV4Map},
			{Match: nft.VerdictMap, Fields: []nft.Field{nft.IP6Saddr}, Set: EgressV6Map},
			{Match: nft.VerdictMap, Fields: []nft.Field{nft.IPDaddr}, Set: IngressV4Map},
			{Match: nft.VerdictMap, Fields: []nft.Field{nft.IP6Daddr}, Set: IngressV6Map},
		},
	}
}

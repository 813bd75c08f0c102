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
	SelfV4Set    = "self-v4"
	SelfV6Set    = "self-v6"
)

// Compile returns the desired table for node n, with DefaultOptions.
func Compile(n *ir.Node) *nft.Table { return CompileWith(n, DefaultOptions) }

// CompileWith returns the desired table for node n, counting and logging as o says.
func CompileWith(n *ir.Node, o Options) *nft.Table {
	t := &nft.Table{}
	maps := map[string]*nft.Set{
		IngressV4Map: dispatchMap(IngressV4Map, nft.IPv4Addr),
		IngressV6Map: dispatchMap(IngressV6Map, nft.IPv6Addr),
		EgressV4Map:  dispatchMap(EgressV4Map, nft.IPv4Addr),
		EgressV6Map:  dispatchMap(EgressV6Map, nft.IPv6Addr),
	}
	self := map[string]*nft.Set{
		SelfV4Set: {Name: SelfV4Set, Key: []nft.KeyType{nft.IPv4Addr, nft.IPv4Addr}},
		SelfV6Set: {Name: SelfV6Set, Key: []nft.KeyType{nft.IPv6Addr, nft.IPv6Addr}},
	}
	claimed := map[string]bool{} // map name + address already dispatched
	for i := range n.Groups {
		g := &n.Groups[i]
		chains, sets := compileGroup(g, o)
		chain := chains[0]
		t.Chains = append(t.Chains, chains...)
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
				selfName := SelfV6Set
				if ip.Is4() {
					selfName = SelfV4Set
				}
				if !claimed[selfName+ip.String()] {
					claimed[selfName+ip.String()] = true
					self[selfName].Elements = append(self[selfName].Elements, nft.Element{Addr: ip, AddrLast: ip})
				}
			}
		}
	}
	for _, m := range []map[string]*nft.Set{maps, self} {
		for _, s := range m {
			nft.SortElements(s.Elements)
			t.Sets = append(t.Sets, s)
		}
	}
	t.Chains = append(t.Chains, forwardChain(len(n.Groups) > 0, o.Strict))
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
//
// Once any local pod is isolated, traffic addressed to no pod in particular — link-layer broadcast and
// multicast, IPv6 link-local — is not forwarded: on a bridge it would reach isolated pods without passing their
// ingress chain, and nothing in Kubernetes sends it between pods. Routers never forward it anyway. IPv6
// neighbour discovery is accepted before that, and a pod reaching itself (through a Service, after DNAT:
// source and destination are the same pod) is accepted before the policy chains: a pod cannot block access to
// itself.
//
// In strict mode, a TCP segment that is new to conntrack but not a SYN is dropped right after the established
// traffic is accepted, before anything can accept it (Options.Strict says why); like the rules above, only
// once a local pod is isolated: until then the agent has no flow to cut.
func forwardChain(isolating, strict bool) *nft.Chain {
	accept, drop := nft.Verdict{Kind: nft.Accept}, nft.Verdict{Kind: nft.Drop}
	rules := []nft.Rule{{Match: nft.CtEstablishedRelated, Verdict: accept}}
	if isolating && strict {
		rules = append(rules, nft.Rule{Match: nft.CtNewTCPNotSYN, Verdict: drop})
	}
	rules = append(rules, nft.Rule{Match: nft.ICMPv6NeighborDiscovery, Verdict: accept})
	if isolating {
		rules = append(rules,
			nft.Rule{Match: nft.PktTypeBroadcast, Verdict: drop},
			nft.Rule{Match: nft.PktTypeMulticast, Verdict: drop},
			nft.Rule{Match: nft.IP6LinkLocal, Fields: []nft.Field{nft.IP6Saddr}, Verdict: drop},
			nft.Rule{Match: nft.IP6LinkLocal, Fields: []nft.Field{nft.IP6Daddr}, Verdict: drop},
		)
	}
	rules = append(rules,
		nft.Rule{Match: nft.Lookup, Fields: []nft.Field{nft.IPSaddr, nft.IPDaddr}, Set: SelfV4Set, Verdict: accept},
		nft.Rule{Match: nft.Lookup, Fields: []nft.Field{nft.IP6Saddr, nft.IP6Daddr}, Set: SelfV6Set, Verdict: accept},
		nft.Rule{Match: nft.VerdictMap, Fields: []nft.Field{nft.IPSaddr}, Set: EgressV4Map},
		nft.Rule{Match: nft.VerdictMap, Fields: []nft.Field{nft.IP6Saddr}, Set: EgressV6Map},
		nft.Rule{Match: nft.VerdictMap, Fields: []nft.Field{nft.IPDaddr}, Set: IngressV4Map},
		nft.Rule{Match: nft.VerdictMap, Fields: []nft.Field{nft.IP6Daddr}, Set: IngressV6Map},
	)
	return &nft.Chain{Name: ForwardChain, Hook: &nft.Hook{Name: "forward"}, Rules: rules}
}

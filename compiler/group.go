package compiler

import (
	"net/netip"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// peers gathers the allowed traffic of one group in one address family, by the kind of set it belongs in.
type peers struct {
	addrs      map[netip.Addr]struct{}  // exact address, every port
	ranges     []addrRange              // address ranges, every port
	addrPorts  map[nft.Element]struct{} // exact address . protocol . single port
	rangePorts []rangePort              // address range . protocol . port range
	// disjoint says rangePorts are already the non-overlapping elements of the -np set (painted tiers).
	disjoint bool
}

type rangePort struct {
	addrs       addrRange
	proto       uint8
	first, last uint16
}

func newPeers() *peers {
	return &peers{addrs: map[netip.Addr]struct{}{}, addrPorts: map[nft.Element]struct{}{}}
}

// compileGroup returns the chains of a group, its own chain (the dispatch maps' target) first, and the
// non-empty sets they look up. A group without ClusterNetworkPolicy rules is one chain: the NetworkPolicy
// lookups, then log and drop; one with them is laid out tier by tier (compileTiers).
func compileGroup(g *ir.Group, o Options) ([]*nft.Chain, []*nft.Set) {
	if len(g.Admin) == 0 && len(g.Baseline) == 0 {
		chain := &nft.Chain{Name: GroupChainName(g)}
		sets := appendNetworkPolicy(chain, g, o)
		return []*nft.Chain{chain}, sets
	}
	return compileTiers(g, o)
}

// allowVerdict is what a group's chain does with a packet its direction allows.
func allowVerdict(d ir.Direction) nft.Verdict {
	if d == ir.Egress {
		// Egress is checked first; a pass returns so the destination's ingress is checked next.
		return nft.Verdict{Kind: nft.Return}
	}
	return nft.Verdict{Kind: nft.Accept}
}

// appendNetworkPolicy appends the NetworkPolicy part of a group to chain ch: the lookups of what the rules
// allow, then log and a counted drop (or, in audit mode, a counted pass). It returns the sets looked up. The
// log prefix is the group's chain name even when ch is another chain: the agent maps prefixes to groups.
func appendNetworkPolicy(ch *nft.Chain, g *ir.Group, o Options) []*nft.Set {
	v4, v6 := newPeers(), newPeers()
	for i := range g.Rules {
		addRule(&g.Rules[i], v4, v6)
	}
	name := GroupChainName(g)
	verdict := allowVerdict(g.Direction)
	var sets []*nft.Set
	for _, fam := range []struct {
		suffix string
		p      *peers
		addr   nft.KeyType
		field  nft.Field
	}{
		{"-v4", v4, nft.IPv4Addr, peerField(g.Direction, true)},
		{"-v6", v6, nft.IPv6Addr, peerField(g.Direction, false)},
	} {
		for _, s := range fam.p.sets(name+fam.suffix, fam.addr) {
			ch.Rules = append(ch.Rules, nft.Rule{Match: nft.Lookup, Fields: lookupFields(s, fam.field), Set: s.Name,
				Counter: o.Counters, Verdict: verdict})
			sets = append(sets, s)
		}
	}
	if o.Log.Group != 0 {
		// The prefix names the chain: the agent knows which policies isolate its pods.
		ch.Rules = append(ch.Rules, logRule(name, o))
	}
	audit := g.Audit || o.Audit
	end := nft.Verdict{Kind: nft.Drop}
	if audit {
		// Audit mode: what the rules do not allow is logged and counted, then let through as an allowed packet
		// would be.
		end = verdict
	}
	ch.Rules = append(ch.Rules, nft.Rule{
		Match: nft.Always, Counter: o.Counters, Verdict: end, Comment: groupComment(g, audit),
	})
	return sets
}

// lookupFields is the key a lookup of set s builds from the packet: the peer address, and for the ported
// shapes (address . protocol . port) the protocol and destination port.
func lookupFields(s *nft.Set, peer nft.Field) []nft.Field {
	if len(s.Key) == 3 {
		return []nft.Field{peer, nft.L4Proto, nft.THDport}
	}
	return []nft.Field{peer}
}

// logRule sends a packet to NFLOG with prefix, rate-limited as o says.
func logRule(prefix string, o Options) nft.Rule {
	return nft.Rule{Match: nft.Always,
		Log: &nft.Log{Group: o.Log.Group, Prefix: prefix, Rate: o.Log.Rate, Burst: o.Log.Burst}}
}

// peerField is the address that identifies the peer: the source for ingress, the destination for egress.
func peerField(d ir.Direction, v4 bool) nft.Field {
	switch {
	case d == ir.Ingress && v4:
		return nft.IPSaddr
	case d == ir.Ingress:
		return nft.IP6Saddr
	case v4:
		return nft.IPDaddr
	}
	return nft.IP6Daddr
}

// addRule adds what one rule allows to the per-family peers.
func addRule(r *ir.Rule, v4, v6 *peers) {
	fam := func(a netip.Addr) *peers {
		if a.Is4() {
			return v4
		}
		return v6
	}
	var ranges []addrRange
	if r.Peers.Any {
		ranges = append(ranges, allV4, allV6)
	}
	for _, b := range r.Peers.Blocks {
		ranges = append(ranges, blockRanges(b)...)
	}
	if r.AllPorts {
		for _, a := range r.Peers.Addrs {
			fam(a).addrs[a] = struct{}{}
		}
		for _, rg := range ranges {
			p := fam(rg.first)
			p.ranges = append(p.ranges, rg)
		}
	} else {
		for _, port := range r.Ports {
			for _, a := range r.Peers.Addrs {
				fam(a).addPort(addrRange{a, a}, port)
			}
			for _, rg := range ranges {
				fam(rg.first).addPort(rg, port)
			}
		}
	}
	for _, ap := range r.AddrPorts {
		fam(ap.Addr).addPort(addrRange{ap.Addr, ap.Addr}, ap.Port)
	}
}

func (p *peers) addPort(r addrRange, port ir.Port) {
	if r.first == r.last && port.First == port.Last {
		p.addrPorts[nft.Element{Addr: r.first, AddrLast: r.first, Proto: uint8(port.Protocol), Port: port.First, PortLast: port.First}] = struct{}{}
		return
	}
	p.rangePorts = append(p.rangePorts, rangePort{r, uint8(port.Protocol), port.First, port.Last})
}

// sets returns the non-empty sets of one family, in rule order: exact addresses, address ranges, exact
// address.protocol.port, ranges of those.
func (p *peers) sets(prefix string, addr nft.KeyType) []*nft.Set {
	var out []*nft.Set
	add := func(s *nft.Set) {
		if len(s.Elements) > 0 {
			nft.SortElements(s.Elements)
			out = append(out, s)
		}
	}
	concat := []nft.KeyType{addr, nft.InetProto, nft.InetService}

	exact := &nft.Set{Name: prefix + "-a", Key: []nft.KeyType{addr}}
	for a := range p.addrs {
		exact.Elements = append(exact.Elements, nft.Element{Addr: a, AddrLast: a})
	}
	add(exact)

	ranges := &nft.Set{Name: prefix + "-n", Key: []nft.KeyType{addr}, Interval: true}
	for _, r := range mergeRanges(p.ranges) {
		ranges.Elements = append(ranges.Elements, nft.Element{Addr: r.first, AddrLast: r.last})
	}
	add(ranges)

	exactPorts := &nft.Set{Name: prefix + "-ap", Key: concat}
	for e := range p.addrPorts {
		exactPorts.Elements = append(exactPorts.Elements, e)
	}
	add(exactPorts)

	var rangeElems []nft.Element
	if p.disjoint {
		for _, r := range p.rangePorts {
			rangeElems = append(rangeElems, nft.Element{Addr: r.addrs.first, AddrLast: r.addrs.last, Proto: r.proto, Port: r.first, PortLast: r.last})
		}
	} else {
		rangeElems = rangePortElements(p.rangePorts)
	}
	add(&nft.Set{Name: prefix + "-np", Key: concat, Interval: true, Elements: rangeElems})
	return out
}

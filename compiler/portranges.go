package compiler

import (
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/nft"
)

// rangePortElements turns address-range × protocol × port-range entries into elements of a concatenated
// interval set that never overlap: the kernel's pipapo backend refuses overlapping elements, and a canonical
// form keeps the output deterministic. Per protocol, one axis is cut at every range boundary, each slice gets the
// merged ranges of the other axis from the entries that cover it, and neighbouring slices that came out equal are
// joined again. Cutting ports suits many ranges over few peers; cutting addresses suits many peers with their
// own ranges (which cutting ports would multiply, peers × boundaries). Both are computed and the smaller kept,
// so the element count stays near the number of distinct (peer, merged ports) pairs either way.
func rangePortElements(entries []rangePort) []nft.Element {
	byProto := map[uint8][]rangePort{}
	for _, e := range entries {
		byProto[e.proto] = append(byProto[e.proto], e)
	}
	protos := make([]uint8, 0, len(byProto))
	for p := range byProto {
		protos = append(protos, p)
	}
	slices.Sort(protos)
	var out []nft.Element
	for _, proto := range protos {
		byPort := portAxisElements(proto, byProto[proto])
		if byAddr := addrAxisElements(proto, byProto[proto], len(byPort)); byAddr != nil {
			byPort = byAddr
		}
		out = append(out, byPort...)
	}
	return out
}

// portAxisElements cuts the port axis.
func portAxisElements(proto uint8, entries []rangePort) []nft.Element {
	// Cut points as uint32 so that 65535+1 fits.
	var cuts []uint32
	for _, e := range entries {
		cuts = append(cuts, uint32(e.first), uint32(e.last)+1)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	// slice i covers ports cuts[i] .. cuts[i+1]-1
	addrs := make([][]addrRange, len(cuts)-1)
	for _, e := range entries {
		from, _ := slices.BinarySearch(cuts, uint32(e.first))
		to, _ := slices.BinarySearch(cuts, uint32(e.last)+1)
		for i := from; i < to; i++ {
			addrs[i] = append(addrs[i], e.addrs)
		}
	}
	type slice struct {
		first, last uint32
		addrs       []addrRange
	}
	var joined []slice
	for i := range addrs {
		if len(addrs[i]) == 0 {
			continue
		}
		s := slice{cuts[i], cuts[i+1] - 1, mergeRanges(addrs[i])}
		if n := len(joined); n > 0 && joined[n-1].last+1 == s.first && slices.Equal(joined[n-1].addrs, s.addrs) {
			joined[n-1].last = s.last
			continue
		}
		joined = append(joined, s)
	}
	var out []nft.Element
	for _, s := range joined {
		for _, r := range s.addrs {
			out = append(out, nft.Element{
				Addr: r.first, AddrLast: r.last, Proto: proto, Port: uint16(s.first), PortLast: uint16(s.last),
			})
		}
	}
	return out
}

// addrAxisElements cuts the address axis at every range boundary. It returns nil when that gives limit elements
// or more: the port axis, with limit elements, is kept then, and the larger result is never built.
func addrAxisElements(proto uint8, entries []rangePort, limit int) []nft.Element {
	var cuts []netip.Addr
	for _, e := range entries {
		cuts = append(cuts, e.addrs.first)
		if next := e.addrs.last.Next(); next.IsValid() {
			cuts = append(cuts, next)
		}
	}
	slices.SortFunc(cuts, netip.Addr.Compare)
	cuts = slices.Compact(cuts)
	// slice i covers cuts[i] .. cuts[i+1]-1, the last one up to the top of the family.
	ports := make([][]portRange, len(cuts))
	for _, e := range entries {
		from, _ := slices.BinarySearchFunc(cuts, e.addrs.first, netip.Addr.Compare)
		to := len(cuts)
		if next := e.addrs.last.Next(); next.IsValid() {
			to, _ = slices.BinarySearchFunc(cuts, next, netip.Addr.Compare)
		}
		for i := from; i < to; i++ {
			ports[i] = append(ports[i], portRange{e.first, e.last})
		}
	}
	type slice struct {
		addrs addrRange
		ports []portRange
	}
	var joined []slice
	for i := range cuts {
		if len(ports[i]) == 0 {
			continue
		}
		last := allV6.last
		if cuts[i].Is4() {
			last = allV4.last
		}
		if i+1 < len(cuts) {
			last = cuts[i+1].Prev()
		}
		s := slice{addrRange{cuts[i], last}, mergePorts(ports[i])}
		if n := len(joined); n > 0 && joined[n-1].addrs.last.Next() == s.addrs.first && slices.Equal(joined[n-1].ports, s.ports) {
			joined[n-1].addrs.last = s.addrs.last
			continue
		}
		joined = append(joined, s)
	}
	n := 0
	for _, s := range joined {
		n += len(s.ports)
	}
	if n >= limit {
		return nil
	}
	out := make([]nft.Element, 0, n)
	for _, s := range joined {
		for _, p := range s.ports {
			out = append(out, nft.Element{
				Addr: s.addrs.first, AddrLast: s.addrs.last, Proto: proto, Port: p.first, PortLast: p.last,
			})
		}
	}
	return out
}

type portRange struct{ first, last uint16 }

// mergePorts sorts port ranges and joins the ones that overlap or touch.
func mergePorts(ps []portRange) []portRange {
	slices.SortFunc(ps, func(a, b portRange) int {
		if a.first != b.first {
			return int(a.first) - int(b.first)
		}
		return int(a.last) - int(b.last)
	})
	out := ps[:1]
	for _, p := range ps[1:] {
		cur := &out[len(out)-1]
		if uint32(p.first) <= uint32(cur.last)+1 {
			cur.last = max(cur.last, p.last)
			continue
		}
		out = append(out, p)
	}
	return out
}

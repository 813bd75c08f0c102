package compiler

import (
	"slices"

	"github.com/nftpolicy/nftpolicy/nft"
)

// rangePortElements turns address-range × protocol × port-range entries into elements of a concatenated
// interval set that never overlap: the kernel's pipapo backend refuses overlapping elements, and a canonical
// form keeps the output deterministic. Per protocol, the port axis is cut at every range boundary; each slice
// gets the merged address ranges of the entries that cover it; neighbouring slices with the same addresses are
// joined again.
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
		out = append(out, protoElements(proto, byProto[proto])...)
	}
	return out
}

func protoElements(proto uint8, entries []rangePort) []nft.Element {
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

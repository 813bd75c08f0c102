package compiler

import (
	"net/netip"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// addrRange is an inclusive range of addresses of one family.
type addrRange struct{ first, last netip.Addr }

func prefixRange(p netip.Prefix) addrRange {
	p = p.Masked()
	return addrRange{p.Addr(), nft.LastAddr(p)}
}

// blockRanges returns an ipBlock as disjoint ranges: the CIDR with every except carved out.
func blockRanges(b ir.IPBlock) []addrRange {
	out := []addrRange{prefixRange(b.CIDR)}
	for _, e := range b.Except {
		out = subtract(out, prefixRange(e))
	}
	return out
}

// subtract removes cut from every range of rs.
func subtract(rs []addrRange, cut addrRange) []addrRange {
	var out []addrRange
	for _, r := range rs {
		if r.first.Is4() != cut.first.Is4() || cut.last.Less(r.first) || r.last.Less(cut.first) {
			out = append(out, r)
			continue
		}
		if r.first.Less(cut.first) {
			out = append(out, addrRange{r.first, cut.first.Prev()})
		}
		if cut.last.Less(r.last) {
			out = append(out, addrRange{cut.last.Next(), r.last})
		}
	}
	return out
}

// mergeRanges sorts ranges and joins the ones that overlap or touch, giving the canonical disjoint form an
// interval set needs.
func mergeRanges(rs []addrRange) []addrRange {
	if len(rs) == 0 {
		return nil
	}
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b addrRange) int {
		if c := a.first.Compare(b.first); c != 0 {
			return c
		}
		return a.last.Compare(b.last)
	})
	out := rs[:1]
	for _, r := range rs[1:] {
		cur := &out[len(out)-1]
		// r starts inside cur or right after it: extend cur. cur.last.Next() is invalid only at the top
		// of the address space, where cur already covers everything after it.
		next := cur.last.Next()
		if !next.IsValid() || !next.Less(r.first) {
			if cur.last.Less(r.last) {
				cur.last = r.last
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// splitFamily separates ranges by address family.
func splitFamily(rs []addrRange) (v4, v6 []addrRange) {
	for _, r := range rs {
		if r.first.Is4() {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	return v4, v6
}

var (
	allV4 = addrRange{netip.IPv4Unspecified(), netip.AddrFrom4([4]byte{255, 255, 255, 255})}
	allV6 = addrRange{netip.IPv6Unspecified(), nft.LastAddr(netip.PrefixFrom(netip.IPv6Unspecified(), 0))}
)

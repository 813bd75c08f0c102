package nft

import "net/netip"

// rangePrefix returns the prefix that covers exactly first..last, if there is one.
func rangePrefix(first, last netip.Addr) (netip.Prefix, bool) {
	bits := first.BitLen()
	for l := 0; l <= bits; l++ {
		p := netip.PrefixFrom(first, l)
		if p.Masked().Addr() != first {
			continue
		}
		if LastAddr(p) == last {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// LastAddr returns the highest address of p.
func LastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	last, _ := netip.AddrFromSlice(b)
	if a.Is4() {
		return last.Unmap()
	}
	return last
}

package nft

import (
	"cmp"
	"slices"
)

// SortElements sorts elements into the canonical order of the model: by address, address end, protocol,
// port, port end, then verdict.
func SortElements(es []Element) {
	slices.SortFunc(es, CompareElements)
}

// CompareElements orders two elements canonically.
func CompareElements(a, b Element) int {
	if c := a.Addr.Compare(b.Addr); c != 0 {
		return c
	}
	if c := a.AddrLast.Compare(b.AddrLast); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Proto, b.Proto); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port, b.Port); c != 0 {
		return c
	}
	if c := cmp.Compare(a.PortLast, b.PortLast); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Verdict.Kind, b.Verdict.Kind); c != 0 {
		return c
	}
	return cmp.Compare(a.Verdict.Chain, b.Verdict.Chain)
}

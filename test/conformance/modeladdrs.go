package conformance

import (
	"fmt"
	"net/netip"
	"slices"
)

// ModelAddresses are made-up addresses for building the objects without a cluster (the evaluator's test): pods
// 10.244.<house+1>.<ordinal+10> and fd00:10:244:<house+1>::<ordinal+10>; node i 10.0.0.<i+1> and fd00:10::<i+1>,
// which the centaurs of that node share.
type ModelAddresses struct{}

func (ModelAddresses) PodIPs(pod string) []netip.Addr {
	h := slices.IndexFunc(houses, func(h house) bool { return h == houseOf(pod) })
	ord := 0
	if nodeOf(pod) == nodeB {
		ord = 1
	}
	return []netip.Addr{
		netip.AddrFrom4([4]byte{10, 244, byte(h + 1), byte(ord + 10)}),
		netip.MustParseAddr(fmt.Sprintf("fd00:10:244:%d::%d", h+1, ord+10)),
	}
}

func (ModelAddresses) NodeIPs(node string) []netip.Addr {
	i := slices.Index(nodeNames, node)
	return []netip.Addr{
		netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)}),
		netip.MustParseAddr(fmt.Sprintf("fd00:10::%d", i+1)),
	}
}

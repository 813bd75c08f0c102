package build

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
)

// PodAddrs returns the addresses the builder gives p, sorted, and whether p takes part at all: a hostNetwork pod,
// a finished one or one without an address yet is neither selected nor a peer (ok false, no error).
func PodAddrs(p *corev1.Pod) (addrs []netip.Addr, ok bool, err error) {
	if !eligible(p) {
		return nil, false, nil
	}
	addrs, err = podAddrs(p)
	return addrs, err == nil, err
}

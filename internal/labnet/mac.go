package labnet

import (
	"crypto/sha256"
	"fmt"
	"net/netip"
)

// podMAC is the MAC address of a pod's eth0, derived from its addresses as
// the CNI bridge plugin does: 0a:58 and the IPv4 address, or, for IPv6-only
// pods, 0a:59 and four bytes of a hash of the IPv6 address (bumped past the
// MACs in taken). Knowing every MAC, the lab installs the neighbour entries
// itself (learn). Externals get one the same way (taking nothing into
// account: each is alone on its veth).
func podMAC(ips []netip.Addr, taken func(string) bool) string {
	for _, ip := range ips {
		if ip.Is4() {
			a := ip.As4()
			return fmt.Sprintf("0a:58:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3])
		}
	}
	a := ips[0].As16()
	for i := 0; ; i++ {
		h := sha256.Sum256(append(a[:], byte(i)))
		mac := fmt.Sprintf("0a:59:%02x:%02x:%02x:%02x", h[0], h[1], h[2], h[3])
		if !taken(mac) {
			return mac
		}
	}
}

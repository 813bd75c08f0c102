package labnet

import (
	"fmt"
	"net/netip"
)

// The node's own addresses (on lab0; NodeIPs).
var (
	nodeIP4 = netip.MustParseAddr("172.31.255.1")
	nodeIP6 = netip.MustParseAddr("fd00:31:255::1")
)

// The routed topology's gateways: on the node end of every routed veth
// (routed pods and externals), whose MAC address is gatewayMAC.
var (
	routedGW4 = netip.MustParseAddr("169.254.1.1")
	routedGW6 = netip.MustParseAddr("fe80::1")
)

// checkAddr refuses addresses an endpoint cannot have: invalid, zoned,
// IPv4-mapped, unspecified, loopback, multicast, link-local, the IPv4
// broadcast address, or one of the node's own.
func checkAddr(ip netip.Addr) error {
	switch {
	case !ip.IsValid():
		return fmt.Errorf("invalid address")
	case ip.Zone() != "":
		return fmt.Errorf("%s has a zone", ip)
	case ip.Is4In6():
		return fmt.Errorf("%s is IPv4-mapped; give the IPv4 address", ip)
	case ip.IsUnspecified(), ip.IsLoopback(), ip.IsMulticast(), ip.IsLinkLocalUnicast(),
		ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%s is not a unicast address an endpoint can have", ip)
	case ip == nodeIP4 || ip == nodeIP6:
		return fmt.Errorf("%s is the node's own address", ip)
	}
	return nil
}

func family(ip netip.Addr) int {
	if ip.Is4() {
		return 4
	}
	return 6
}

// bridgeSubnet is the pod subnet of ip in the bridge topology: the /24 or
// /64 that contains it.
func bridgeSubnet(ip netip.Addr) netip.Prefix {
	bits := 24
	if ip.Is6() {
		bits = 64
	}
	return netip.PrefixFrom(ip, bits).Masked()
}

// gateway is the first address after the subnet's network address; br0
// carries it while the subnet has pods.
func gateway(s netip.Prefix) netip.Addr { return s.Addr().Next() }

// checkBridgeIP refuses an address that is its subnet's network, gateway
// or (IPv4) broadcast address: no pod may have one, nor an external while
// the subnet has pods.
func checkBridgeIP(ip netip.Addr) error {
	s := bridgeSubnet(ip)
	switch role := bridgeRole(ip); role {
	case "":
		return nil
	case "gateway":
		return fmt.Errorf("%s is the gateway of %s (on the node's br0)", ip, s)
	default:
		return fmt.Errorf("%s is the %s of %s", ip, role, s)
	}
}

// bridgeRole names what ip is in its bridge subnet: "network address",
// "gateway", "broadcast address" (IPv4), or "" for an ordinary host.
func bridgeRole(ip netip.Addr) string {
	s := bridgeSubnet(ip)
	switch {
	case ip == s.Addr():
		return "network address"
	case ip == gateway(s):
		return "gateway"
	case ip.Is4() && ip == lastAddr(s):
		return "broadcast address"
	}
	return ""
}

// reservedAddrs are the addresses of subnet s that no endpoint may have
// while s has pods: network, gateway and (IPv4) broadcast address.
func reservedAddrs(s netip.Prefix) []netip.Addr {
	r := []netip.Addr{s.Addr(), gateway(s)}
	if s.Addr().Is4() {
		r = append(r, lastAddr(s))
	}
	return r
}

// lastAddr is the highest address of an IPv4 prefix.
func lastAddr(s netip.Prefix) netip.Addr {
	a := s.Addr().As4()
	hostMask := ^uint32(0) >> s.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= hostMask
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

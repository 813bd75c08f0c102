package lab

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// allocator hands out pod addresses from the pod CIDRs, one per family: within every /24 (IPv4) or /64 (IPv6)
// of a CIDR, hosts .10 to .250 (::10 to ::250 in decimal digits, like the test harness), skipping addresses in use.
// Addresses below .10 stay free for gateways, so a lab subnet looks like a node's pod CIDR in a small cluster.
type allocator struct {
	cidrs []netip.Prefix
	used  map[netip.Addr]bool
}

func newAllocator(cidrs []netip.Prefix) *allocator {
	return &allocator{cidrs: cidrs, used: map[netip.Addr]bool{}}
}

// reserve marks addresses as taken (pods with addresses of their own).
func (a *allocator) reserve(ips []netip.Addr) {
	for _, ip := range ips {
		a.used[ip] = true
	}
}

// release frees addresses.
func (a *allocator) release(ips []netip.Addr) {
	for _, ip := range ips {
		delete(a.used, ip)
	}
}

// next returns one new address per pod CIDR.
func (a *allocator) next() ([]netip.Addr, error) {
	var out []netip.Addr
	for _, c := range a.cidrs {
		ip, err := a.nextIn(c)
		if err != nil {
			a.release(out)
			return nil, err
		}
		a.used[ip] = true
		out = append(out, ip)
	}
	return out, nil
}

func (a *allocator) nextIn(c netip.Prefix) (netip.Addr, error) {
	sub := 24
	if c.Addr().Is6() {
		sub = 64
	}
	// At most 256 subnets are tried: plenty for a lab of one node.
	for s, n := 0, 0; n < 256; s, n = s+1, n+1 {
		base, ok := subnet(c, sub, s)
		if !ok {
			break
		}
		for host := 10; host <= 250; host++ {
			ip := hostAddr(base, host)
			if !a.used[ip] {
				return ip, nil
			}
		}
	}
	return netip.Addr{}, fmt.Errorf("pod CIDR %s: no free address left", c)
}

// subnet returns the i-th /sub of c, or false past its end (sub is 24 for IPv4, 64 for IPv6).
func subnet(c netip.Prefix, sub, i int) (netip.Addr, bool) {
	span := sub - c.Bits()
	if span < 0 || (span < 16 && i >= 1<<span) {
		return netip.Addr{}, false
	}
	b := c.Addr().AsSlice()
	if c.Addr().Is4() {
		v := binary.BigEndian.Uint32(b) + uint32(i)<<8
		binary.BigEndian.PutUint32(b, v)
	} else {
		v := binary.BigEndian.Uint64(b[:8]) + uint64(i)
		binary.BigEndian.PutUint64(b[:8], v)
	}
	ip, _ := netip.AddrFromSlice(b)
	return ip, true
}

// hostAddr is host number h in the subnet at base: base+h for IPv4, base::<decimal digits of h> for IPv6.
func hostAddr(base netip.Addr, h int) netip.Addr {
	b := base.AsSlice()
	if base.Is4() {
		b[3] = byte(h)
	} else {
		// ::250 in decimal digits is 0x250.
		d := (h/100)<<8 | (h/10%10)<<4 | h%10
		b[14], b[15] = byte(d>>8), byte(d)
	}
	ip, _ := netip.AddrFromSlice(b)
	return ip
}

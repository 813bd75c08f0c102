package fuzz

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

var (
	// oddAddrs are pod addresses at the edges: the ends of each family, IPv4-mapped IPv6, link-local.
	oddAddrs = []string{"0.0.0.0", "255.255.255.255", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:10.0.0.1", "fe80::1", "10.0.0.1", "fd00::1"}
	badAddrs = []string{"10.0.0.256", "fe80::1%eth0", "abc", "010.0.0.1", "", "10.0.0.1/32"}

	cidrs = []string{"10.0.0.0/16", "10.0.0.0/24", "0.0.0.0/0", "::/0", "fd00::/64", "10.0.0.1/24", "192.168.0.0/16",
		"10.0.1.128/25", "fd00::/16", "10.0.0.5/32", "fd00::5/128", "255.255.255.255/32",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "0.0.0.0/1", "128.0.0.0/1", "fd00::300/120"}
	badCIDRs = []string{"10.0.0/8", "10.0.0.0/33", "010.0.0.0/8", "::ffff:10.0.0.0/104", "10.0.0.1", "fd00::/129",
		"fe80::%eth0/64", " 10.0.0.0/8"}
	firstOctets = []byte{10, 10, 192, 0, 128, 255}
)

// v4 and v6 return pod addresses from a small space (10.0.0-3.x, fd00::0-3:x), so pods share addresses now and
// then and CIDRs cover some of them.
func (d *decoder) v4() string {
	return netip.AddrFrom4([4]byte{10, 0, byte(d.r.intn(4)), d.r.next()}).String()
}

func (d *decoder) v6() string {
	a := [16]byte{0xfd}
	a[13], a[15] = byte(d.r.intn(4)), d.r.next()
	return netip.AddrFrom16(a).String()
}

// addresses sets the pod's status.podIPs and status.podIP: none, legacy podIP only, IPv4, IPv6, both in either
// order, two IPv4, or an odd one; in invalid inputs also an unparsable one.
func (d *decoder) addresses(p *corev1.Pod) {
	k := d.r.next()
	var ips []string
	switch k % 8 {
	case 1:
		p.Status.PodIP = d.v4()
		return
	case 2:
		ips = []string{d.v4()}
	case 3:
		ips = []string{d.v6()}
	case 4:
		ips = []string{d.v4(), d.v6()}
	case 5:
		ips = []string{d.v6(), d.v4()}
	case 6:
		ips = []string{d.v4(), d.v4()}
	case 7:
		ips = []string{oddAddrs[d.r.intn(len(oddAddrs))]}
	}
	if k >= 0xf0 && d.spoil() {
		ips = append(ips, badAddrs[int(k)%len(badAddrs)])
	}
	p.Status.PodIPs = nil
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	p.Status.PodIP = ""
	if len(ips) > 0 {
		p.Status.PodIP = ips[0]
	}
}

// ipBlock returns an ipBlock: a CIDR from the pool or generated (IPv4 or IPv6, any prefix length, host bits
// set) with up to two excepts inside it; in invalid inputs also a bad CIDR or except.
func (d *decoder) ipBlock() *networkingv1.IPBlock {
	c := d.r.next()
	p := d.prefix(c)
	b := &networkingv1.IPBlock{CIDR: p.String()}
	if c >= 0xf8 && d.spoil() {
		b.CIDR = badCIDRs[int(c)%len(badCIDRs)]
	}
	for range d.r.intn(3) {
		if e := d.except(p); e != "" {
			b.Except = append(b.Except, e)
		}
	}
	return b
}

// prefix returns a CIDR picked by c: from the pool, or generated (IPv4 or IPv6, any prefix length, host bits
// set now and then).
func (d *decoder) prefix(c byte) netip.Prefix {
	switch c % 4 {
	case 1:
		a := [4]byte{firstOctets[d.r.intn(len(firstOctets))], 0, byte(d.r.intn(4)), d.r.next()}
		return netip.PrefixFrom(netip.AddrFrom4(a), d.r.intn(33))
	case 2:
		a := [16]byte{0xfd}
		a[1], a[13], a[15] = d.r.next()%2, byte(d.r.intn(4)), d.r.next()
		return netip.PrefixFrom(netip.AddrFrom16(a), d.r.intn(129))
	}
	return netip.MustParsePrefix(cidrs[int(c/4)%len(cidrs)])
}

// except returns a strict subset of p (host bits may be set), or "" when p is a single address; in invalid
// inputs also one that is not a strict subset, of the other family, or unparsable.
func (d *decoder) except(p netip.Prefix) string {
	e := d.r.next()
	if e >= 0xf0 && d.spoil() {
		return []string{p.String(), "172.16.0.0/12", "fc00::/7", "10.0.0.0/8/8", "::/0", "0.0.0.0/0"}[int(e)%6]
	}
	size := p.Addr().BitLen()
	if p.Bits() >= size {
		return ""
	}
	bits := p.Bits() + 1 + int(e)%(size-p.Bits())
	raw := p.Masked().Addr().AsSlice()
	for i := range raw {
		if host := 8*(i+1) - p.Bits(); host > 0 {
			mask := byte(0xff)
			if host < 8 {
				mask = byte(1)<<host - 1
			}
			raw[i] |= d.r.next() & mask
		}
	}
	a, _ := netip.AddrFromSlice(raw)
	return netip.PrefixFrom(a, bits).String()
}

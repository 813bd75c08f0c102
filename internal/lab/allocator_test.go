package lab

import (
	"net/netip"
	"testing"
)

func TestAllocator(t *testing.T) {
	a := newAllocator([]netip.Prefix{netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("fd00:10:244::/56")})
	a.reserve([]netip.Addr{netip.MustParseAddr("10.244.0.11")})
	got := []string{}
	for range 3 {
		ips, err := a.next()
		if err != nil {
			t.Fatal(err)
		}
		for _, ip := range ips {
			got = append(got, ip.String())
		}
	}
	want := []string{"10.244.0.10", "fd00:10:244::10", "10.244.0.12", "fd00:10:244::11", "10.244.0.13", "fd00:10:244::12"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// A full /24 moves on to the next one; a full CIDR is an error.
	b := newAllocator([]netip.Prefix{netip.MustParsePrefix("10.1.0.0/23")})
	var last netip.Addr
	for range 241 * 2 {
		ips, err := b.next()
		if err != nil {
			t.Fatal(err)
		}
		last = ips[0]
	}
	if last.String() != "10.1.1.250" {
		t.Fatalf("last address of 10.1.0.0/23 = %s, want 10.1.1.250", last)
	}
	if _, err := b.next(); err == nil {
		t.Fatal("a full CIDR handed out another address")
	}
	b.release([]netip.Addr{netip.MustParseAddr("10.1.0.77")})
	if ips, err := b.next(); err != nil || ips[0].String() != "10.1.0.77" {
		t.Fatalf("after release: %v %v, want 10.1.0.77", ips, err)
	}
}

package compiler_test

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// BenchmarkCompileTiers compiles one group whose tiers name many pods: an Admin tier accepting N pods on TCP 80
// and 443, denying every port of them, and passing a named port resolved on each (N address.port pairs), and a
// Baseline tier denying every pod but one namespace — the shape that fragments painting most in practice.
func BenchmarkCompileTiers(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var pods ir.Peers
			var aps []ir.AddrPort
			for i := range n {
				a := netip.AddrFrom4([4]byte{10, 244, byte(i / 250), byte(1 + i%250)})
				pods.Addrs = append(pods.Addrs, a)
				aps = append(aps, ir.AddrPort{Addr: a, Port: ir.Port{Protocol: ir.TCP, First: uint16(8000 + i%7), Last: uint16(8000 + i%7)}})
			}
			g := ir.Group{Direction: ir.Ingress, Key: "bench",
				Members: []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.244.0.1")}}},
				Admin: []ir.ClusterRule{
					{Policy: "a", Action: ir.Pass, AddrPorts: aps},
					{Policy: "a", Action: ir.Accept, Peers: pods, Ports: []ir.Port{{Protocol: ir.TCP, First: 80, Last: 80}, {Protocol: ir.TCP, First: 443, Last: 443}}},
					{Policy: "a", Action: ir.Deny, Peers: pods, AllPorts: true},
				},
				Baseline: []ir.ClusterRule{
					{Policy: "b", Action: ir.Accept, Peers: ir.Peers{Addrs: pods.Addrs[:n/10]}, AllPorts: true},
					{Policy: "b", Action: ir.Deny, Peers: pods, AllPorts: true},
				},
			}
			node := &ir.Node{Groups: []ir.Group{g}}
			b.ReportAllocs()
			elements := 0
			for b.Loop() {
				tab := compiler.Compile(node)
				elements = 0
				for _, s := range tab.Sets {
					elements += len(s.Elements)
				}
			}
			b.ReportMetric(float64(elements), "elements")
		})
	}
}

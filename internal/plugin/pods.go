package plugin

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// pod is a pod that takes part in NetworkPolicy: its addresses and declared ports.
type pod struct {
	key   string // namespace/name
	obj   *corev1.Pod
	ips   []netip.Addr
	ports []port // container ports, sorted
}

// port is a protocol and number.
type port struct {
	proto ir.Protocol
	num   uint16
	name  string // the container port's name, when declared by a pod
}

func (p port) String() string { return fmt.Sprintf("%s/%d", protoName(p.proto), p.num) }

func protoName(p ir.Protocol) string { return strings.ToUpper(p.String()) }

// pods lists the cluster's eligible pods, sorted by namespace/name.
func (s *state) pods() ([]*pod, error) {
	var out []*pod
	for _, p := range s.cluster.Pods {
		ips, ok, err := build.PodAddrs(p)
		if err != nil {
			return nil, s.locate(err)
		}
		if !ok {
			continue
		}
		out = append(out, &pod{key: p.Namespace + "/" + p.Name, obj: p, ips: ips, ports: containerPorts(p)})
	}
	slices.SortFunc(out, func(a, b *pod) int { return strings.Compare(a.key, b.key) })
	return out, nil
}

func containerPorts(p *corev1.Pod) []port {
	var out []port
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			proto, err := parseProto(string(cp.Protocol))
			if err != nil || cp.ContainerPort <= 0 || cp.ContainerPort > 65535 {
				continue
			}
			pt := port{proto: proto, num: uint16(cp.ContainerPort), name: cp.Name}
			if !slices.ContainsFunc(out, func(o port) bool { return o.proto == pt.proto && o.num == pt.num }) {
				out = append(out, pt)
			}
		}
	}
	sortPorts(out)
	return out
}

func sortPorts(ps []port) {
	slices.SortFunc(ps, func(a, b port) int {
		if a.proto != b.proto {
			return strings.Compare(protoName(a.proto), protoName(b.proto))
		}
		return int(a.num) - int(b.num)
	})
}

// parseProto reads TCP, UDP or SCTP (any case; "" is TCP).
func parseProto(s string) (ir.Protocol, error) {
	switch strings.ToUpper(s) {
	case "", "TCP":
		return ir.TCP, nil
	case "UDP":
		return ir.UDP, nil
	case "SCTP":
		return ir.SCTP, nil
	}
	return 0, fmt.Errorf("unknown protocol %q (want TCP, UDP or SCTP)", s)
}

// parsePortList reads "80,81" for --ports.
func parsePortList(s string) ([]uint16, error) {
	var out []uint16
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.ParseUint(strings.TrimSpace(f), 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("--ports: not a port (1-65535): %q", f)
		}
		if !slices.Contains(out, uint16(n)) {
			out = append(out, uint16(n))
		}
	}
	return out, nil
}

func mustAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

package build

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// protocolOf maps a NetworkPolicy or container port protocol to its IANA number; nil or empty means TCP.
func protocolOf(p *corev1.Protocol) (ir.Protocol, bool) {
	if p == nil {
		return ir.TCP, true
	}
	switch *p {
	case "", corev1.ProtocolTCP:
		return ir.TCP, true
	case corev1.ProtocolUDP:
		return ir.UDP, true
	case corev1.ProtocolSCTP:
		return ir.SCTP, true
	}
	return 0, false
}

// protocolName is the Kubernetes spelling of a protocol, used in group keys.
func protocolName(p ir.Protocol) string {
	switch p {
	case ir.TCP:
		return "TCP"
	case ir.UDP:
		return "UDP"
	case ir.SCTP:
		return "SCTP"
	}
	return strconv.Itoa(int(p))
}

// containerPorts returns the numbers of every container port named pn.name with protocol pn.proto, in the pod's
// containers and sidecar init containers (restartPolicy Always), sorted and unique. Port names are unique per
// container only, so several containers may define the same name; all of them count.
func containerPorts(spec *corev1.PodSpec, pn portName) []uint16 {
	var out []uint16
	add := func(cs []corev1.Container, sidecarsOnly bool) {
		for i := range cs {
			c := &cs[i]
			if sidecarsOnly && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
				continue
			}
			for _, cp := range c.Ports {
				if cp.Name != pn.name || cp.ContainerPort < 1 || cp.ContainerPort > 65535 {
					continue
				}
				if proto, ok := protocolOf(&cp.Protocol); ok && proto == pn.proto {
					out = append(out, uint16(cp.ContainerPort))
				}
			}
		}
	}
	add(spec.Containers, false)
	add(spec.InitContainers, true)
	slices.Sort(out)
	return slices.Compact(out)
}

// forEachNamedPort calls f for every named container port of the pod (containers and sidecars).
func forEachNamedPort(spec *corev1.PodSpec, f func(portName, uint16)) {
	visit := func(cs []corev1.Container, sidecarsOnly bool) {
		for i := range cs {
			c := &cs[i]
			if sidecarsOnly && (c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways) {
				continue
			}
			for _, cp := range c.Ports {
				if cp.Name == "" || cp.ContainerPort < 1 || cp.ContainerPort > 65535 {
					continue
				}
				if proto, ok := protocolOf(&cp.Protocol); ok {
					f(portName{cp.Name, proto}, uint16(cp.ContainerPort))
				}
			}
		}
	}
	visit(spec.Containers, false)
	visit(spec.InitContainers, true)
}

// numericPorts returns the numeric ports of a rule, sorted and unique.
func numericPorts(ps []portSpec) []ir.Port {
	var out []ir.Port
	for _, p := range ps {
		if p.name == "" {
			out = append(out, ir.Port{Protocol: p.proto, First: p.first, Last: p.last})
		}
	}
	return sortPorts(out)
}

func comparePort(a, b ir.Port) int {
	return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.First, b.First), cmp.Compare(a.Last, b.Last))
}

func sortPorts(ps []ir.Port) []ir.Port {
	slices.SortFunc(ps, comparePort)
	return slices.Compact(ps)
}

func sortPortNames(ps []portName) []portName {
	slices.SortFunc(ps, func(a, b portName) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.proto, b.proto))
	})
	return slices.Compact(ps)
}

func sortAddrPorts(aps []ir.AddrPort) []ir.AddrPort {
	slices.SortFunc(aps, func(a, b ir.AddrPort) int {
		if c := a.Addr.Compare(b.Addr); c != 0 {
			return c
		}
		return comparePort(a.Port, b.Port)
	})
	return slices.Compact(aps)
}

// namedResolution is how one pod resolves a list of named ports: nums[i] are the numbers of names[i].
type namedResolution struct {
	names []portName
	nums  [][]uint16
}

func resolveNamed(spec *corev1.PodSpec, names []portName) namedResolution {
	r := namedResolution{names: names, nums: make([][]uint16, len(names))}
	for i, pn := range names {
		r.nums[i] = containerPorts(spec, pn)
	}
	return r
}

// key renders the resolution as in a group key: "http/TCP=80,metrics/TCP=9090+9091,dns/UDP=-".
func (r namedResolution) key() string {
	var b strings.Builder
	for i, pn := range r.names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pn.name)
		b.WriteByte('/')
		b.WriteString(protocolName(pn.proto))
		b.WriteByte('=')
		if len(r.nums[i]) == 0 {
			b.WriteByte('-')
		}
		for j, n := range r.nums[i] {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strconv.Itoa(int(n)))
		}
	}
	return b.String()
}

// lookup returns the numbers pn resolves to.
func (r namedResolution) lookup(pn portName) []uint16 {
	i, ok := slices.BinarySearchFunc(r.names, pn, func(a, b portName) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.proto, b.proto))
	})
	if !ok {
		return nil
	}
	return r.nums[i]
}

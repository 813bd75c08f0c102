package fuzz

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

var (
	// portNames are valid IANA service names, the longest at 15 bytes.
	portNames    = []string{"http", "dns", "metrics", "abcdefghijklmno", "p80"}
	badPortNames = []string{"Bad_Name", "toolongportname16", "-http", "80", ""}
	commonPorts  = []int32{80, 443, 53, 8080, 9090, 1, 65535}
)

// protocol returns nil (TCP), "" (TCP), TCP, UDP or SCTP.
func (d *decoder) protocol() *corev1.Protocol {
	ps := []corev1.Protocol{"", corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	k := d.r.intn(len(ps) + 1)
	if k == len(ps) {
		return nil
	}
	return &ps[k]
}

// number returns a port number: a common one or any of 1-65535.
func (d *decoder) number() int32 {
	if k := d.r.next(); k < 0x80 {
		return commonPorts[int(k)%len(commonPorts)]
	}
	return max(1, int32(d.r.u16()))
}

// port returns a NetworkPolicy port: numeric, a range (endPort), named, or a protocol alone; in invalid inputs also
// an out-of-range number, an endPort below its port or with a named or absent port, a bad name or protocol.
func (d *decoder) port() networkingv1.NetworkPolicyPort {
	k := d.r.next()
	p := networkingv1.NetworkPolicyPort{Protocol: d.protocol()}
	n := d.number()
	switch k % 8 {
	case 0, 1:
		p.Port = ptr(intstr.FromInt32(n))
	case 2, 3:
		end := min(65535, n+int32(d.r.u16()>>d.r.intn(16)))
		p.Port, p.EndPort = ptr(intstr.FromInt32(n)), &end
	case 4, 5:
		p.Port = ptr(intstr.FromString(portNames[d.r.intn(len(portNames))]))
	case 6: // a protocol alone: every port
	case 7:
		p.Port, p.EndPort = ptr(intstr.FromInt32(n)), ptr(n)
	}
	if k >= 0xf0 && d.spoil() {
		switch d.r.intn(7) {
		case 0:
			p.Port = ptr(intstr.FromInt32([]int32{0, -1, 65536, 70000}[d.r.intn(4)]))
		case 1:
			p.Port, p.EndPort = ptr(intstr.FromInt32(max(2, n))), ptr(max(2, n)-1)
		case 2:
			p.Port, p.EndPort = ptr(intstr.FromString("http")), ptr(int32(90))
		case 3:
			p.Port, p.EndPort = nil, ptr(int32(90))
		case 4:
			p.Port = ptr(intstr.FromString(badPortNames[d.r.intn(len(badPortNames))]))
		case 5:
			p.Protocol = ptr(corev1.Protocol([]string{"ICMP", "tcp", "ALL"}[d.r.intn(3)]))
		default:
			p.Port, p.EndPort = ptr(intstr.FromInt32(n)), ptr(int32(65536))
		}
	}
	return p
}

// containerPort adds a port to one of the pod's containers, sidecar init containers (restartPolicy Always) or
// plain init containers, whose ports named ports never resolve to.
func (d *decoder) containerPort(p *corev1.Pod) {
	k := d.r.next()
	cp := corev1.ContainerPort{ContainerPort: d.number()}
	if k%4 != 0 {
		cp.Name = portNames[int(k/4)%len(portNames)]
	}
	if pr := d.protocol(); pr != nil {
		cp.Protocol = *pr
	}
	if k >= 0xf8 {
		cp.ContainerPort = []int32{0, 65536}[k%2] // ignored by the builder, as the API server would refuse it
	}
	kind, fresh := d.r.intn(4), d.r.intn(4) == 0
	cs, tmpl := &p.Spec.Containers, corev1.Container{Name: "c"}
	switch kind {
	case 2:
		cs, tmpl = &p.Spec.InitContainers, corev1.Container{Name: "sidecar", RestartPolicy: ptr(corev1.ContainerRestartPolicyAlways)}
	case 3:
		cs, tmpl = &p.Spec.InitContainers, corev1.Container{Name: "init"}
	}
	if n := len(*cs); fresh || n == 0 || ((*cs)[n-1].RestartPolicy == nil) != (tmpl.RestartPolicy == nil) {
		*cs = append(*cs, tmpl)
	}
	last := &(*cs)[len(*cs)-1]
	last.Ports = append(last.Ports, cp)
}

func ptr[T any](v T) *T { return &v }

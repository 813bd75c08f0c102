package build

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

const (
	udp  = corev1.ProtocolUDP
	sctp = corev1.ProtocolSCTP
)

// TestNumericPorts: one ingress and one egress rule of x/p (selecting x/a in the standard cluster) with ports.
func TestNumericPorts(t *testing.T) {
	tests := []struct {
		name  string
		ports []any
		want  string
	}{
		{"no ports: every port and protocol", nil, "all"},
		{"number defaults to TCP", []any{tcp(80)}, "TCP/80"},
		{"UDP", []any{portOf(udp, 53)}, "UDP/53"},
		{"SCTP", []any{portOf(sctp, 9)}, "SCTP/9"},
		{"explicit TCP", []any{portOf(corev1.ProtocolTCP, 22)}, "TCP/22"},
		{"endPort range", []any{portRange(corev1.ProtocolTCP, 8000, 8080)}, "TCP/8000-8080"},
		{"endPort equal to port", []any{portRange(udp, 5000, 5000)}, "UDP/5000"},
		{"protocol without port: every port of it", []any{protoOnly(udp)}, "UDP/0-65535"},
		{"sorted by protocol then port, deduplicated", []any{tcp(443), portOf(udp, 53), tcp(80), tcp(80)},
			"TCP/80,TCP/443,UDP/53"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := std(policy("x", "p", selecting("app", "a"), ingress(tc.ports...), egress(tc.ports...)))
			n, err := Node(c, "n1")
			if err != nil {
				t.Fatal(err)
			}
			want := lines("ingress|x/p members=x/a", "  x/p[0] peers=any ports="+tc.want,
				"egress|x/p members=x/a", "  x/p[0] peers=any ports="+tc.want)
			if got := render(n, c); got != want {
				t.Errorf("got\n%swant\n%s", got, want)
			}
		})
	}
}

// TestIngressNamedPorts: named ports of ingress rules resolve on each selected pod, which splits groups.
//
// Pods (all app=web, on n1): x/a http 8080; x/b http 9090; x/c no http; x/d http/UDP 8080; x/e sidecar init
// container http 7070; x/f plain init container http 6060; x/g two containers http 80 and 81.
func TestIngressNamedPorts(t *testing.T) {
	web := func(name, addr string, opts ...podOpt) *corev1.Pod {
		return pod("x", name, append([]podOpt{onNode("n1"), labeled("app", "web"), ip(addr)}, opts...)...)
	}
	c := Cluster{Pods: []*corev1.Pod{
		web("a", "10.1.0.1", cport("http", 8080, "")),
		web("b", "10.1.0.2", cport("http", 9090, corev1.ProtocolTCP)),
		web("c", "10.1.0.3", cport("metrics", 9100, "")),
		web("d", "10.1.0.4", cport("http", 8080, udp)),
		web("e", "10.1.0.5", initContainer("http", 7070, true)),
		web("f", "10.1.0.6", initContainer("http", 6060, false)),
		web("g", "10.1.0.7", cport("http", 80, ""), container("http", 81)),
	}}
	tests := []struct {
		name string
		pols []any
		want string
	}{
		{"named and numeric port: one group per resolution", []any{
			policy("x", "p", selecting("app", "web"), ingress(named("http", ""), tcp(443)))},
			lines(
				"ingress|x/p|http/TCP=- members=x/c,x/d,x/f",
				"  x/p[0] peers=any ports=TCP/443",
				"ingress|x/p|http/TCP=7070 members=x/e",
				"  x/p[0] peers=any ports=TCP/443,TCP/7070",
				"ingress|x/p|http/TCP=80+81 members=x/g",
				"  x/p[0] peers=any ports=TCP/80,TCP/81,TCP/443",
				"ingress|x/p|http/TCP=8080 members=x/a",
				"  x/p[0] peers=any ports=TCP/443,TCP/8080",
				"ingress|x/p|http/TCP=9090 members=x/b",
				"  x/p[0] peers=any ports=TCP/443,TCP/9090")},
		{"only a named port the pod lacks: the rule allows nothing", []any{
			policy("x", "p", selecting(), podSelector(match("app", "web")), ingress(named("nope", "")))},
			lines("ingress|x/p|nope/TCP=- members=x/a,x/b,x/c,x/d,x/e,x/f,x/g", "  x/p[0] peers=any ports=none")},
		{"protocol must match the container port's", []any{
			policy("x", "p", selecting("app", "web"), ingress(named("http", udp)))},
			lines("ingress|x/p|http/UDP=- members=x/a,x/b,x/c,x/e,x/f,x/g", "  x/p[0] peers=any ports=none",
				"ingress|x/p|http/UDP=8080 members=x/d", "  x/p[0] peers=any ports=UDP/8080")},
		{"named ports of every selecting policy are in the key", []any{
			policy("x", "p1", selecting("app", "web"), ingress(named("http", ""))),
			policy("x", "p2", selecting("app", "web"), ingress(named("metrics", "")), ingress(tcp(22)))},
			lines(
				"ingress|x/p1,x/p2|http/TCP=-,metrics/TCP=- members=x/d,x/f",
				"  x/p1[0] peers=any ports=none",
				"  x/p2[0] peers=any ports=none",
				"  x/p2[1] peers=any ports=TCP/22",
				"ingress|x/p1,x/p2|http/TCP=-,metrics/TCP=9100 members=x/c",
				"  x/p1[0] peers=any ports=none",
				"  x/p2[0] peers=any ports=TCP/9100",
				"  x/p2[1] peers=any ports=TCP/22",
				"ingress|x/p1,x/p2|http/TCP=7070,metrics/TCP=- members=x/e",
				"  x/p1[0] peers=any ports=TCP/7070",
				"  x/p2[0] peers=any ports=none",
				"  x/p2[1] peers=any ports=TCP/22",
				"ingress|x/p1,x/p2|http/TCP=80+81,metrics/TCP=- members=x/g",
				"  x/p1[0] peers=any ports=TCP/80,TCP/81",
				"  x/p2[0] peers=any ports=none",
				"  x/p2[1] peers=any ports=TCP/22",
				"ingress|x/p1,x/p2|http/TCP=8080,metrics/TCP=- members=x/a",
				"  x/p1[0] peers=any ports=TCP/8080",
				"  x/p2[0] peers=any ports=none",
				"  x/p2[1] peers=any ports=TCP/22",
				"ingress|x/p1,x/p2|http/TCP=9090,metrics/TCP=- members=x/b",
				"  x/p1[0] peers=any ports=TCP/9090",
				"  x/p2[0] peers=any ports=none",
				"  x/p2[1] peers=any ports=TCP/22")},
		{"named egress ports do not split ingress groups", []any{
			policy("x", "p", selecting("app", "web"), types(networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress),
				egress(named("http", "")))},
			lines("ingress|x/p members=x/a,x/b,x/c,x/d,x/e,x/f,x/g",
				"egress|x/p members=x/a,x/b,x/c,x/d,x/e,x/f,x/g",
				"  x/p[0] peers=any ports=none pairs=x/a@TCP/8080,x/b@TCP/9090,x/e@TCP/7070,x/g@TCP/80,x/g@TCP/81")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := c.with(tc.pols...)
			n, err := Node(c, "n1")
			if err != nil {
				t.Fatal(err)
			}
			if got := render(n, c); got != tc.want {
				t.Errorf("got\n%swant\n%s", got, tc.want)
			}
		})
	}
}

// TestEgressNamedPorts: named ports of egress rules resolve on each peer pod into (address, port) pairs.
//
// Pods: x/a client (n1); x/b app=srv http 8080 (n2); x/c app=srv without http (n2); y/b app=srv http 9090,
// dual-stack (n2); z/c app=other http 7070 and dns/UDP 53 (n2); z/d no IP, http 7070.
func TestEgressNamedPorts(t *testing.T) {
	c := Cluster{Pods: []*corev1.Pod{
		pod("x", "a", onNode("n1"), labeled("app", "client"), ip("10.1.0.1")),
		pod("x", "b", onNode("n2"), labeled("app", "srv"), ip("10.1.0.2"), cport("http", 8080, "")),
		pod("x", "c", onNode("n2"), labeled("app", "srv"), ip("10.1.0.3")),
		pod("y", "b", onNode("n2"), labeled("app", "srv"), ip("10.2.0.2", "fd00::2:2"), cport("http", 9090, "")),
		pod("z", "c", onNode("n2"), labeled("app", "other"), ip("10.3.0.3"), cport("http", 7070, ""), cport("dns", 53, udp)),
		pod("z", "d", onNode("n2"), labeled("app", "other"), cport("http", 7070, "")),
	}}
	tests := []struct {
		name  string
		parts []any
		want  string
	}{
		{"pod selector peers", []any{pods(match("app", "srv")), named("http", "")},
			"peers=x/b,x/c ports=none pairs=x/b@TCP/8080"},
		{"namespace and pod selector", []any{both(match(), match("app", "srv")), named("http", "")},
			"peers=x/b,x/c,y/b,y/b~6 ports=none pairs=x/b@TCP/8080,y/b@TCP/9090,y/b~6@TCP/9090"},
		{"any peer: every pod with the name", []any{named("http", "")},
			"peers=any ports=none pairs=x/b@TCP/8080,y/b@TCP/9090,z/c@TCP/7070,y/b~6@TCP/9090"},
		{"ipBlock peer: pods with an address inside", []any{block("10.2.0.0/15"), named("http", "")},
			"peers=10.2.0.0/15 ports=none pairs=y/b@TCP/9090,z/c@TCP/7070"},
		{"ipBlock peer minus except", []any{block("10.2.0.0/15", "10.3.0.0/16"), named("http", "")},
			`peers=10.2.0.0/15\10.3.0.0/16 ports=none pairs=y/b@TCP/9090`},
		{"protocol must match", []any{named("dns", udp), named("dns", "")},
			"peers=any ports=none pairs=z/c@UDP/53"},
		{"numeric and named ports together", []any{pods(match("app", "srv")), named("http", ""), tcp(443)},
			"peers=x/b,x/c ports=TCP/443 pairs=x/b@TCP/8080"},
		{"no peer has the name", []any{pods(match("app", "srv")), named("nope", "")},
			"peers=x/b,x/c ports=none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := c.with(policy("x", "p", selecting("app", "client"), egress(tc.parts...)))
			n, err := Node(c, "n1")
			if err != nil {
				t.Fatal(err)
			}
			want := lines("ingress|x/p members=x/a", "egress|x/p members=x/a", "  x/p[0] "+tc.want)
			if got := render(n, c); got != want {
				t.Errorf("got\n%swant\n%s", got, want)
			}
		})
	}
}

package build

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// TestNode covers isolation, policyTypes, grouping, node filtering and pod eligibility on the standard cluster.
func TestNode(t *testing.T) {
	const (
		ing = networkingv1.PolicyTypeIngress
		eg  = networkingv1.PolicyTypeEgress
	)
	tests := []struct {
		name string
		c    Cluster
		node string
		want string
	}{
		{"no policies: nothing isolated", std(), "n1", ""},
		{"empty rule list: isolated, nothing allowed", std(policy("x", "deny", selecting())), "n1",
			lines("ingress|x/deny members=x/a,x/b")},
		{"policyTypes absent, no egress rules: ingress only",
			std(policy("x", "p", selecting("app", "a"), ingress())), "n1",
			lines("ingress|x/p members=x/a", "  x/p[0] peers=any ports=all")},
		{"policyTypes absent, egress rules: both",
			std(policy("x", "p", selecting("app", "a"), egress(tcp(53)))), "n1",
			lines("ingress|x/p members=x/a", "egress|x/p members=x/a", "  x/p[0] peers=any ports=TCP/53")},
		{"egress-only policy with an empty egress list: egress isolated, nothing allowed",
			std(policy("x", "p", selecting("app", "a"), types(eg))), "n1",
			lines("egress|x/p members=x/a")},
		{"policyTypes Ingress ignores egress rules",
			std(policy("x", "p", selecting("app", "a"), types(ing), egress())), "n1",
			lines("ingress|x/p members=x/a")},
		{"policyTypes Ingress and Egress without rules",
			std(policy("x", "p", selecting("app", "a"), types(eg, ing))), "n1",
			lines("ingress|x/p members=x/a", "egress|x/p members=x/a")},
		{"pods selected by the same policies share a group; rules in policy order then index",
			std(policy("x", "p2", selecting(), ingress(tcp(2)), ingress(tcp(3))),
				policy("x", "p1", selecting("app", "a"), ingress(tcp(1))),
				policy("y", "p3", selecting(), ingress(tcp(4)))), "n1",
			lines("ingress|x/p1,x/p2 members=x/a",
				"  x/p1[0] peers=any ports=TCP/1",
				"  x/p2[0] peers=any ports=TCP/2",
				"  x/p2[1] peers=any ports=TCP/3",
				"ingress|x/p2 members=x/b",
				"  x/p2[0] peers=any ports=TCP/2",
				"  x/p2[1] peers=any ports=TCP/3",
				"ingress|y/p3 members=y/b",
				"  y/p3[0] peers=any ports=TCP/4")},
		{"node filtering: only local pods are members, remote pods are peers",
			std(policy("x", "p", selecting(), ingress(pods(match())))), "n2",
			lines("ingress|x/p members=x/c", "  x/p[0] peers=x/a,x/b,x/c ports=all")},
		{"node \"\": every pod is local",
			std(policy("x", "p", selecting(), ingress(pods(match())))), "",
			lines("ingress|x/p members=x/a,x/b,x/c", "  x/p[0] peers=x/a,x/b,x/c ports=all")},
		{"node without pods", std(policy("x", "p", selecting())), "n9", ""},
		{"pods without IP, Succeeded, Failed or hostNetwork are neither selected nor peers",
			std(policy("x", "p", selecting(), ingress(pods(match()))),
				pod("x", "d", onNode("n1")),
				pod("x", "e", onNode("n1"), ip("10.1.0.5"), phase(corev1.PodSucceeded)),
				pod("x", "f", onNode("n1"), ip("10.1.0.6"), phase(corev1.PodFailed)),
				pod("x", "g", onNode("n1"), ip("192.168.0.7"), hostNetwork()),
				pod("x", "h", onNode("n1"), ip("10.1.0.8"), phase(corev1.PodPending)),
				pod("x", "i", onNode("n1"), legacyIP("10.1.0.9"))), "n1",
			lines("ingress|x/p members=x/a,x/b,x/h,x/i", "  x/p[0] peers=x/a,x/b,x/c,x/h,x/i ports=all")},
		{"a policy in a namespace without local pods", std(policy("z", "p", selecting())), "n1", ""},
		{"policy in a namespace that does not exist at all", std(policy("q", "p", selecting())), "n1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Node(tc.c, tc.node)
			if err != nil {
				t.Fatal(err)
			}
			if n.Name != tc.node {
				t.Errorf("Name = %q, want %q", n.Name, tc.node)
			}
			if got := render(n, tc.c); got != tc.want {
				t.Errorf("got\n%swant\n%s", got, tc.want)
			}
		})
	}
}

// TestGroupFields checks the structured fields a render does not show: Direction, Policies, member IPs.
func TestGroupFields(t *testing.T) {
	c := std(policy("x", "p2", selecting()), policy("x", "p1", selecting("app", "a"), types(networkingv1.PolicyTypeEgress)))
	n, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	want := []ir.Group{
		{Direction: ir.Ingress, Key: "ingress|x/p2", Policies: []ir.PolicyRef{{Namespace: "x", Name: "p2"}},
			Members: []ir.Member{
				{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.1.0.1")}},
				{Pod: ir.PodRef{Namespace: "x", Name: "b"}, IPs: []netip.Addr{netip.MustParseAddr("10.1.0.2")}},
			}},
		{Direction: ir.Egress, Key: "egress|x/p1", Policies: []ir.PolicyRef{{Namespace: "x", Name: "p1"}},
			Members: []ir.Member{{Pod: ir.PodRef{Namespace: "x", Name: "a"}, IPs: []netip.Addr{netip.MustParseAddr("10.1.0.1")}}}},
	}
	if !reflect.DeepEqual(n.Groups, want) {
		t.Errorf("got %+v\nwant %+v", n.Groups, want)
	}
}

// TestDualStack checks that both families of a pod are members' IPs, peer addresses and named-port pairs.
func TestDualStack(t *testing.T) {
	c := Cluster{Pods: []*corev1.Pod{
		pod("x", "a", onNode("n1"), labeled("app", "a"), ip("fd00::1:1", "10.1.0.1")),
		pod("x", "b", onNode("n2"), labeled("app", "b"), ip("10.1.0.2", "fd00::1:2"), cport("http", 80, "")),
	}, Policies: []*networkingv1.NetworkPolicy{
		policy("x", "in", selecting("app", "a"), ingress(pods(match("app", "b")))),
		policy("x", "out", selecting("app", "a"), types(networkingv1.PolicyTypeEgress),
			egress(pods(match("app", "b")), named("http", "")), egress(block("fd00::/16", "fd00::1:2/128"))),
	}}
	n, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	want := lines("ingress|x/in members=x/a",
		"  x/in[0] peers=x/b,x/b~6 ports=all",
		"egress|x/out members=x/a",
		"  x/out[0] peers=x/b,x/b~6 ports=none pairs=x/b@TCP/80,x/b~6@TCP/80",
		`  x/out[1] peers=fd00::/16\fd00::1:2/128 ports=all`)
	if got := render(n, c); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	wantIPs := []netip.Addr{netip.MustParseAddr("10.1.0.1"), netip.MustParseAddr("fd00::1:1")}
	if got := n.Groups[0].Members[0].IPs; !slices.Equal(got, wantIPs) {
		t.Errorf("member IPs = %v, want %v", got, wantIPs)
	}
	wantPeers := []netip.Addr{netip.MustParseAddr("10.1.0.2"), netip.MustParseAddr("fd00::1:2")}
	if got := n.Groups[0].Rules[0].Peers.Addrs; !slices.Equal(got, wantPeers) {
		t.Errorf("peer addrs = %v, want %v", got, wantPeers)
	}
}

// TestInputOrder shuffles every input list and expects an identical IR.
func TestInputOrder(t *testing.T) {
	c := std(
		policy("x", "p1", selecting("app", "a"), ingress(pods(match("app", "b")), namespaces(match("team", "red"))),
			egress(namespaces(match()), named("http", ""), tcp(443)), egress(block("10.0.0.0/8", "10.2.0.0/16"))),
		policy("x", "p2", selecting(), ingress(named("http", ""), portOf(corev1.ProtocolUDP, 53))),
		policy("y", "p3", selecting("tier", "web"), ingress(block("10.1.0.0/16"), block("10.0.0.0/8"))),
		pod("x", "d", onNode("n1"), labeled("app", "a"), ip("10.1.0.4", "fd00::1:4"), cport("http", 8080, "")),
		pod("y", "c", onNode("n2"), ip("10.2.0.3"), cport("http", 80, "")),
	)
	want, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		s := c.with()
		rng.Shuffle(len(s.Namespaces), func(i, j int) { s.Namespaces[i], s.Namespaces[j] = s.Namespaces[j], s.Namespaces[i] })
		rng.Shuffle(len(s.Pods), func(i, j int) { s.Pods[i], s.Pods[j] = s.Pods[j], s.Pods[i] })
		rng.Shuffle(len(s.Policies), func(i, j int) { s.Policies[i], s.Policies[j] = s.Policies[j], s.Policies[i] })
		got, err := Node(s, "n1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("IR depends on input order:\n%s\nvs\n%s", render(got, c), render(want, c))
		}
	}
}

// TestNodeErrors checks that bad input fails the whole build with an error naming the object and field.
func TestNodeErrors(t *testing.T) {
	tests := []struct {
		name string
		c    Cluster
		want string // prefix of the error
	}{
		{"unparsable podIPs entry", std(pod("x", "d", ip("10.1.0.4", "fd00::zz"))),
			`Pod x/d: status.podIPs[1].ip: invalid IP "fd00::zz": `},
		{"unparsable podIP", std(pod("x", "d", legacyIP("10.1.0"))), `Pod x/d: status.podIP: invalid IP "10.1.0": `},
		{"IP with a zone", std(pod("x", "d", ip("fe80::1%eth0"))), `Pod x/d: status.podIPs[0].ip: invalid IP "fe80::1%eth0": `},
		{"duplicate pod", std(pod("x", "a", ip("10.1.0.1"))), "Pod x/a: listed twice"},
		{"duplicate namespace", std(namespace("x")), "Namespace x: listed twice"},
		{"of several duplicate namespaces, the first by name, whatever the order",
			std(namespace("z"), namespace("y")), "Namespace y: listed twice"},
		{"duplicate policy", std(policy("x", "p"), policy("x", "p")), "NetworkPolicy x/p: listed twice"},
		{"a policy listed twice, one of them invalid, in either order",
			std(policy("x", "p", ingress(tcp(0))), policy("x", "p"), policy("x", "p", ingress(tcp(0)))),
			"NetworkPolicy x/p: listed twice"},
		{"first invalid policy in namespace/name order",
			std(policy("y", "a", ingress(tcp(0))), policy("x", "b", ingress(tcp(70000))), policy("x", "c", ingress(tcp(-1)))),
			"NetworkPolicy x/b: spec.ingress[0].ports[0].port: invalid port 70000"},
		{"an invalid policy fails the build even if it selects no local pod",
			std(policy("z", "p", selecting("app", "nope"), egress(block("300.0.0.0/8")))),
			`NetworkPolicy z/p: spec.egress[0].to[0].ipBlock.cidr: invalid CIDR "300.0.0.0/8"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := Node(tc.c, "n1")
			if err == nil {
				t.Fatalf("no error; IR:\n%s", render(n, tc.c))
			}
			if n != nil {
				t.Errorf("partial IR returned with error")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q\nwant prefix %q", err, tc.want)
			}
		})
	}
}

// TestIneligiblePodAddressesAreNotParsed: a pod that can never be selected does not fail the build.
func TestIneligiblePodAddressesAreNotParsed(t *testing.T) {
	c := std(pod("x", "d", ip("garbage"), phase(corev1.PodSucceeded)), pod("x", "e", ip("garbage"), hostNetwork()))
	if _, err := Node(c, "n1"); err != nil {
		t.Fatal(err)
	}
}

// TestNilEntries: nil objects in the lists are skipped.
func TestNilEntries(t *testing.T) {
	c := std(policy("x", "p", selecting()))
	c.Namespaces = append(c.Namespaces, nil)
	c.Pods = append(c.Pods, nil)
	c.Policies = append(c.Policies, nil)
	n, err := Node(c, "n1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := render(n, c), lines("ingress|x/p members=x/a,x/b"); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
}

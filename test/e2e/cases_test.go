package e2e

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// fakeEnv hands out made-up pod addresses: 10.244.<ns>.<pod> and
// fd00:10:244:<ns>::<pod>.
type fakeEnv struct{ family int }

func (f fakeEnv) Family() int { return f.family }

func (f fakeEnv) PodIP(ns, pod string) netip.Addr {
	n := slices.Index(Namespaces(), ns)
	p := slices.Index(PodNames(), pod)
	if n < 0 || p < 0 {
		return netip.Addr{}
	}
	if f.family == 4 {
		return netip.AddrFrom4([4]byte{10, 244, byte(n + 1), byte(p + 10)})
	}
	return netip.MustParseAddr(fmt.Sprintf("fd00:10:244:%d::%d", n+1, p+10))
}

func allCases() []Case { return append(UpstreamCases(), ExtraCases()...) }

func familiesOf(c Case) []int {
	if c.Families == nil {
		return []int{4, 6}
	}
	return c.Families
}

func TestModel(t *testing.T) {
	if got := Namespaces(); !slices.Equal(got, []string{"x", "y", "z"}) {
		t.Errorf("Namespaces() = %v", got)
	}
	if got := PodNames(); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("PodNames() = %v", got)
	}
	want := []string{"x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c"}
	if got := AllPods(); !slices.Equal(got, want) {
		t.Errorf("AllPods() = %v, want %v", got, want)
	}
	if got := DefaultNamespaceLabels("y"); len(got) != 2 || got["ns"] != "y" || got[corev1.LabelMetadataName] != "y" {
		t.Errorf("DefaultNamespaceLabels(y) = %v", got)
	}
	if got := DefaultPodLabels("y", "b"); len(got) != 1 || got["pod"] != "b" {
		t.Errorf("DefaultPodLabels(y, b) = %v", got)
	}
	var names []string
	for _, p := range DefaultContainerPorts() {
		names = append(names, fmt.Sprintf("%s=%d/%s", p.Name, p.ContainerPort, p.Protocol))
	}
	wantPorts := []string{
		"serve-80-tcp=80/TCP", "serve-80-udp=80/UDP", "serve-80-sctp=80/SCTP",
		"serve-81-tcp=81/TCP", "serve-81-udp=81/UDP", "serve-81-sctp=81/SCTP",
	}
	if !slices.Equal(names, wantPorts) {
		t.Errorf("DefaultContainerPorts() = %v, want %v", names, wantPorts)
	}
}

func TestCaseNamesUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range allCases() {
		if strings.TrimSpace(c.Name) == "" {
			t.Errorf("case with empty name")
		}
		if seen[c.Name] {
			t.Errorf("duplicate case name %q", c.Name)
		}
		seen[c.Name] = true
	}
}

func TestUpstreamCount(t *testing.T) {
	up := UpstreamCases()
	if UpstreamSpecCount != 48 {
		t.Errorf("UpstreamSpecCount = %d, the upstream suite has 48 connectivity specs", UpstreamSpecCount)
	}
	if len(up) != UpstreamSpecCount {
		t.Errorf("UpstreamCases() has %d cases, want %d", len(up), UpstreamSpecCount)
	}
	var udp, sctp int
	for _, c := range up {
		if !c.Upstream {
			t.Errorf("upstream case %q has Upstream=false", c.Name)
		}
		if c.Families != nil {
			t.Errorf("upstream case %q is restricted to families %v", c.Name, c.Families)
		}
		if !strings.HasPrefix(c.Name, "should ") && !strings.HasPrefix(c.Name, ctxUDP+"should ") &&
			!strings.HasPrefix(c.Name, ctxSCTP+"should ") {
			t.Errorf("upstream case %q does not look like an It() title", c.Name)
		}
		if strings.HasPrefix(c.Name, ctxUDP) {
			udp++
		}
		if strings.HasPrefix(c.Name, ctxSCTP) {
			sctp++
		}
	}
	if udp != 3 || sctp != 3 {
		t.Errorf("got %d UDP-context and %d SCTP-context specs, want 3 and 3", udp, sctp)
	}
	for _, c := range ExtraCases() {
		if c.Upstream {
			t.Errorf("extra case %q has Upstream=true", c.Name)
		}
	}
}

func TestCaseShape(t *testing.T) {
	pods := AllPods()
	for _, c := range allCases() {
		t.Run(c.Name, func(t *testing.T) {
			if len(c.Steps) == 0 {
				t.Fatalf("no steps")
			}
			if c.Families != nil && len(c.Families) == 0 {
				t.Errorf("Families is empty but not nil")
			}
			for _, f := range c.Families {
				if f != 4 && f != 6 {
					t.Errorf("unknown family %d", f)
				}
			}
			for key, ports := range c.ContainerPorts {
				if !slices.Contains(pods, key) {
					t.Errorf("ContainerPorts for unknown pod %q", key)
				}
				checkContainerPorts(t, key, ports)
			}
			stepNames := map[string]bool{}
			for i, s := range c.Steps {
				where := fmt.Sprintf("step %d (%s)", i, s.Name)
				if s.Name == "" {
					t.Errorf("%s: empty name", where)
				}
				if stepNames[s.Name] {
					t.Errorf("%s: duplicate step name", where)
				}
				stepNames[s.Name] = true
				if s.Policies == nil {
					t.Errorf("%s: nil Policies", where)
				}
				if len(s.Probes)+len(s.NodeProbes) == 0 {
					t.Errorf("%s: no probes", where)
				}
				seenProbe := map[string]bool{}
				for _, p := range s.Probes {
					id := fmt.Sprintf("%s/%d", p.Protocol, p.Port)
					if seenProbe[id] {
						t.Errorf("%s: %s probed twice", where, id)
					}
					seenProbe[id] = true
					checkProbe(t, where, p)
				}
				for _, n := range s.NodeProbes {
					if !slices.Contains(pods, n.To) {
						t.Errorf("%s: node probe to unknown pod %q", where, n.To)
					}
					if !validProtocol(n.Protocol) || (n.Port != 80 && n.Port != 81) {
						t.Errorf("%s: node probe on %s/%d, no listener there", where, n.Protocol, n.Port)
					}
				}
				for ns, labels := range s.NamespaceLabels {
					if !slices.Contains(Namespaces(), ns) {
						t.Errorf("%s: labels for unknown namespace %q", where, ns)
					}
					if labels[corev1.LabelMetadataName] != ns {
						t.Errorf("%s: namespace %s labels %v lack %s=%s, which the API server always sets",
							where, ns, labels, corev1.LabelMetadataName, ns)
					}
				}
				for p := range s.PodLabels {
					if !slices.Contains(pods, p) {
						t.Errorf("%s: labels for unknown pod %q", where, p)
					}
				}
			}
		})
	}
}

func validProtocol(p corev1.Protocol) bool {
	return p == corev1.ProtocolTCP || p == corev1.ProtocolUDP || p == corev1.ProtocolSCTP
}

func checkContainerPorts(t *testing.T, pod string, ports []corev1.ContainerPort) {
	t.Helper()
	names := map[string]bool{}
	for _, p := range ports {
		if p.Name != "" {
			if len(p.Name) > 15 {
				t.Errorf("%s: port name %q longer than 15 characters", pod, p.Name)
			}
			if names[p.Name] {
				t.Errorf("%s: port name %q declared twice", pod, p.Name)
			}
			names[p.Name] = true
		}
		if !validProtocol(p.Protocol) || (p.ContainerPort != 80 && p.ContainerPort != 81) {
			t.Errorf("%s: declares %d/%s, which has no listener", pod, p.ContainerPort, p.Protocol)
		}
	}
}

func checkProbe(t *testing.T, where string, p ProbeExpect) {
	t.Helper()
	if !validProtocol(p.Protocol) {
		t.Errorf("%s: probe protocol %q", where, p.Protocol)
	}
	if p.Port != 80 && p.Port != 81 {
		t.Errorf("%s: probe port %d has no listener", where, p.Port)
	}
	if p.Expect == nil {
		t.Errorf("%s: probe %s/%d has no expectation", where, p.Protocol, p.Port)
		return
	}
	if got := p.Expect.Pods(); !slices.Equal(got, AllPods()) {
		t.Errorf("%s: reachability covers %v, want AllPods()", where, got)
	}
	for _, pod := range AllPods() {
		if !p.Expect.Allowed(pod, pod) {
			t.Errorf("%s: %s/%d expects %s -> itself denied; loopback never leaves the pod",
				where, p.Protocol, p.Port, pod)
		}
	}
}

func TestPolicySanity(t *testing.T) {
	for _, c := range allCases() {
		for _, fam := range familiesOf(c) {
			env := fakeEnv{family: fam}
			t.Run(fmt.Sprintf("%s/IPv%d", c.Name, fam), func(t *testing.T) {
				for i, s := range c.Steps {
					where := fmt.Sprintf("step %d (%s)", i, s.Name)
					first := s.Policies(env)
					second := s.Policies(env)
					seen := map[string]bool{}
					for j, p := range first {
						if p == nil {
							t.Errorf("%s: nil policy", where)
							continue
						}
						if j < len(second) && second[j] == p {
							t.Errorf("%s: Policies returns the same object twice; callers may mutate it", where)
						}
						id := p.Namespace + "/" + p.Name
						if seen[id] {
							t.Errorf("%s: policy %s twice", where, id)
						}
						seen[id] = true
						for _, err := range checkPolicy(p) {
							t.Errorf("%s: policy %s: %s", where, id, err)
						}
					}
				}
			})
		}
	}
}

// checkPolicy does the checks the API server's validation would, as far as
// these cases can get them wrong.
func checkPolicy(p *networkingv1.NetworkPolicy) []string {
	var errs []string
	bad := func(f string, a ...any) { errs = append(errs, fmt.Sprintf(f, a...)) }
	if p.Name == "" {
		bad("no name")
	}
	if !slices.Contains(Namespaces(), p.Namespace) {
		bad("namespace %q is not in the model", p.Namespace)
	}
	if len(p.Spec.PolicyTypes) == 0 {
		bad("no policyTypes")
	}
	hasIngress := slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
	hasEgress := slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	if len(p.Spec.Ingress) > 0 && !hasIngress {
		bad("ingress rules without the Ingress policyType")
	}
	if len(p.Spec.Egress) > 0 && !hasEgress {
		bad("egress rules without the Egress policyType")
	}
	checkPorts := func(ports []networkingv1.NetworkPolicyPort) {
		for _, port := range ports {
			if port.Protocol != nil && !validProtocol(*port.Protocol) {
				bad("protocol %q", *port.Protocol)
			}
			if port.EndPort != nil {
				if port.Port == nil || port.Port.Type != 0 {
					bad("endPort without a numeric port")
				} else if *port.EndPort < port.Port.IntVal {
					bad("endPort %d below port %d", *port.EndPort, port.Port.IntVal)
				}
			}
		}
	}
	checkPeers := func(peers []networkingv1.NetworkPolicyPeer) {
		for _, peer := range peers {
			if peer.IPBlock == nil {
				if peer.PodSelector == nil && peer.NamespaceSelector == nil {
					bad("empty peer")
				}
				continue
			}
			if peer.PodSelector != nil || peer.NamespaceSelector != nil {
				bad("ipBlock peer with selectors")
			}
			cidr, err := netip.ParsePrefix(peer.IPBlock.CIDR)
			if err != nil {
				bad("ipBlock cidr: %v", err)
				continue
			}
			if cidr != cidr.Masked() {
				bad("ipBlock cidr %s has host bits set", cidr)
			}
			for _, e := range peer.IPBlock.Except {
				ex, err := netip.ParsePrefix(e)
				if err != nil {
					bad("ipBlock except: %v", err)
					continue
				}
				if ex.Addr().BitLen() != cidr.Addr().BitLen() || ex.Bits() <= cidr.Bits() || !cidr.Contains(ex.Addr()) {
					bad("except %s is not strictly inside %s", ex, cidr)
				}
			}
		}
	}
	for _, r := range p.Spec.Ingress {
		checkPorts(r.Ports)
		checkPeers(r.From)
	}
	for _, r := range p.Spec.Egress {
		checkPorts(r.Ports)
		checkPeers(r.To)
	}
	return errs
}

// TestUpstreamLargeCIDRAssumption: upstream's except-clause specs allow the
// /4 around x/b and expect every other pod to stay reachable, i.e. every
// pod IP in that /4. The fake addresses satisfy it; so must the runner's.
func TestUpstreamLargeCIDRAssumption(t *testing.T) {
	for _, fam := range []int{4, 6} {
		env := fakeEnv{family: fam}
		pfx := netip.MustParsePrefix(enclosingCIDR(env, "x", "b", 4))
		for _, p := range AllPods() {
			ns, name := splitPod(p)
			if !pfx.Contains(env.PodIP(ns, name)) {
				t.Errorf("IPv%d: %s not in %s", fam, p, pfx)
			}
		}
		cover := netip.MustParsePrefix(coveringCIDR(env))
		if cover.Bits() >= hostBits(fam) {
			t.Errorf("IPv%d: covering CIDR %s is a host route", fam, cover)
		}
	}
}

func TestHostCIDR(t *testing.T) {
	if got := hostCIDR(fakeEnv{4}, "y", "b"); got != "10.244.2.11/32" {
		t.Errorf("IPv4 hostCIDR = %s", got)
	}
	if got := hostCIDR(fakeEnv{6}, "y", "b"); got != "fd00:10:244:2::11/128" {
		t.Errorf("IPv6 hostCIDR = %s", got)
	}
	if got := enclosingCIDR(fakeEnv{4}, "x", "b", 4); got != "0.0.0.0/4" {
		t.Errorf("IPv4 /4 = %s", got)
	}
	if got := coveringCIDR(fakeEnv{4}); got != "10.244.0.0/22" {
		t.Errorf("IPv4 covering = %s", got)
	}
}

func TestReachability(t *testing.T) {
	r := NewReachability(true).
		ExpectPeer(Peer{}, Peer{Namespace: "x"}, false).
		Expect("y/a", "x/b", true).
		ExpectAllEgress("z/c", false).
		ExpectAllIngress("y/c", false).
		AllowLoopback()
	checks := []struct {
		from, to string
		want     bool
	}{
		{"y/b", "x/a", false},
		{"y/a", "x/b", true},
		{"x/a", "x/a", true},
		{"x/a", "y/a", true},
		{"z/c", "y/a", false},
		{"z/c", "z/c", true},
		{"x/a", "y/c", false},
	}
	for _, c := range checks {
		if got := r.Allowed(c.from, c.to); got != c.want {
			t.Errorf("%s -> %s = %v, want %v", c.from, c.to, got, c.want)
		}
	}

	observed := func(from, to string) bool {
		if from == "y/b" && to == "x/a" {
			return true // one wrong verdict
		}
		return r.Allowed(from, to)
	}
	diff := r.Diff(observed)
	if len(diff) != 1 || diff[0] != "y/b -> x/a: expected denied, observed allowed" {
		t.Errorf("Diff = %q", diff)
	}
	if d := r.Diff(r.Allowed); d != nil {
		t.Errorf("Diff against itself = %q", d)
	}
	table := r.Table(observed)
	lines := strings.Split(strings.TrimSuffix(table, "\n"), "\n")
	if len(lines) != 10 {
		t.Fatalf("table has %d lines:\n%s", len(lines), table)
	}
	if !strings.HasPrefix(lines[5], "y/b") || strings.Fields(lines[5])[1] != ".*" {
		t.Errorf("mismatch not marked in row y/b:\n%s", table)
	}
	if strings.Count(table, "*") != 1 {
		t.Errorf("table marks %d mismatches, want 1:\n%s", strings.Count(table, "*"), table)
	}
	if c := r.Clone(); !c.Equal(r) || c.Expect("x/a", "y/a", false).Equal(r) {
		t.Errorf("Clone is not an independent copy")
	}
}

func TestReachabilityRejectsUnknownPods(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("Expect on an unknown pod did not panic")
		}
	}()
	NewReachability(true).Expect("x/d", "x/a", false)
}

func findCase(t *testing.T, name string) Case {
	t.Helper()
	for _, c := range allCases() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no case %q", name)
	return Case{}
}

// compact renders a table the way upstream's comments draw them.
func compact(r *Reachability) string {
	var b strings.Builder
	for _, from := range AllPods() {
		for _, to := range AllPods() {
			b.WriteString(cell(r.Allowed(from, to)))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TestEgressClientSideTable cross-checks the transcription of "should
// support denying of egress traffic on the client side" against the
// "Expected results" table drawn in the upstream source's comment (with the
// loopback cells x/a, y/a, y/b -> themselves allowed, which upstream leaves
// unjudged).
func TestEgressClientSideTable(t *testing.T) {
	c := findCase(t, "should support denying of egress traffic on the client side (even if the server explicitly allows this traffic)")
	// Rows and columns: x/a x/b x/c y/a y/b y/c z/a z/b z/c.
	want := upstreamDrawing(
		"X X X . X X X X X",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
		". . . X X . . . .",
	)
	if got := compact(c.Steps[0].Probes[0].Expect); got != want {
		t.Errorf("table:\n%s\nwant (upstream drawing, loopback allowed):\n%s", got, want)
	}
}

// upstreamDrawing turns rows of a drawn table into compact form, setting
// the diagonal (loopback) to allowed.
func upstreamDrawing(rows ...string) string {
	var b strings.Builder
	for i, row := range rows {
		cells := strings.Fields(row)
		cells[i] = "."
		b.WriteString(strings.Join(cells, ""))
		b.WriteString("\n")
	}
	return b.String()
}

// TestPrinter checks the table printer's layout.
func TestPrinter(t *testing.T) {
	r := NewReachability(true).ExpectAllIngress("x/a", false).Expect("y/a", "x/a", true).AllowLoopback()
	want := "" +
		"-   x/a x/b x/c y/a y/b y/c z/a z/b z/c\n" +
		"x/a .   .   .   .   .   .   .   .   .\n" +
		"x/b X   .   .   .   .   .   .   .   .\n" +
		"x/c X   .   .   .   .   .   .   .   .\n" +
		"y/a .   .   .   .   .   .   .   .   .\n" +
		"y/b X   .   .   .   .   .   .   .   .\n" +
		"y/c X   .   .   .   .   .   .   .   .\n" +
		"z/a X   .   .   .   .   .   .   .   .\n" +
		"z/b X   .   .   .   .   .   .   .   .\n" +
		"z/c X   .   .   .   .   .   .   .   .\n"
	if got := r.String(); got != want {
		t.Errorf("String():\n%s\nwant:\n%s", got, want)
	}
}

// TestProbesOfUDPAndSCTPSpecs: the protocol-specific upstream contexts
// probe only their own protocol.
func TestProbesOfUDPAndSCTPSpecs(t *testing.T) {
	for _, c := range UpstreamCases() {
		var want corev1.Protocol
		switch {
		case strings.HasPrefix(c.Name, ctxUDP):
			want = corev1.ProtocolUDP
		case strings.HasPrefix(c.Name, ctxSCTP):
			want = corev1.ProtocolSCTP
		default:
			continue
		}
		for _, s := range c.Steps {
			for _, p := range s.Probes {
				if p.Protocol != want {
					t.Errorf("%s: probes %s", c.Name, p.Protocol)
				}
			}
		}
	}
}

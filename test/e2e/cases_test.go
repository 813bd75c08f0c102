package e2e

// Checks of the case tables themselves (no root, no packets): the model,
// names, the upstream count and the shape of every case.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// fakeEnv is the model environment of the tests that need no packets.
type fakeEnv = ModelEnv

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

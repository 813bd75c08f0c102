package e2e

// Checks of the policies the cases hold: valid as the API server would
// judge them, and the address assumptions the ipBlock cases rely on.

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

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

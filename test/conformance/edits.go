package conformance

import (
	"fmt"
	"net/netip"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"

	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Edit is one patch an upstream subtest applies to the test's objects (a rule swap, a new action, a new priority,
// an inserted rule, a named port, a deleted NetworkPolicy), transcribed by hand from the upstream test.
type Edit struct {
	// What describes the patch.
	What  string
	apply func(o *Objects, a Addresses) error
}

// onPolicy makes an Edit of the ClusterNetworkPolicy named name.
func onPolicy(name, what string, fn func(p *cnp.ClusterNetworkPolicySpec, a Addresses) error) Edit {
	return Edit{What: name + ": " + what, apply: func(o *Objects, a Addresses) error {
		p, err := o.clusterPolicy(name)
		if err != nil {
			return err
		}
		return fn(&p.Spec, a)
	}}
}

// inRange checks rule indexes against a rule list's length.
func inRange(dir string, n int, idx ...int) error {
	for _, i := range idx {
		if i >= n {
			return fmt.Errorf("%s[%d]: only %d %s rules", dir, i, n, dir)
		}
	}
	return nil
}

// swapEgress swaps spec.egress[i] and [j].
func swapEgress(name string, i, j int) Edit {
	what := fmt.Sprintf("swap egress[%d] and egress[%d]", i, j)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		if err := inRange("egress", len(s.Egress), i, j); err != nil {
			return err
		}
		s.Egress[i], s.Egress[j] = s.Egress[j], s.Egress[i]
		return nil
	})
}

// swapIngress swaps spec.ingress[i] and [j].
func swapIngress(name string, i, j int) Edit {
	what := fmt.Sprintf("swap ingress[%d] and ingress[%d]", i, j)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		if err := inRange("ingress", len(s.Ingress), i, j); err != nil {
			return err
		}
		s.Ingress[i], s.Ingress[j] = s.Ingress[j], s.Ingress[i]
		return nil
	})
}

// swapBoth swaps rules i and j in spec.egress and in spec.ingress (one patch upstream).
func swapBoth(name string, i, j int) []Edit {
	return []Edit{swapEgress(name, i, j), swapIngress(name, i, j)}
}

// ingressAction sets spec.ingress[i].action.
func ingressAction(name string, i int, act cnp.ClusterNetworkPolicyRuleAction) Edit {
	what := fmt.Sprintf("ingress[%d].action = %s", i, act)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		if err := inRange("ingress", len(s.Ingress), i); err != nil {
			return err
		}
		s.Ingress[i].Action = act
		return nil
	})
}

// egressAction sets spec.egress[i].action.
func egressAction(name string, i int, act cnp.ClusterNetworkPolicyRuleAction) Edit {
	what := fmt.Sprintf("egress[%d].action = %s", i, act)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		if err := inRange("egress", len(s.Egress), i); err != nil {
			return err
		}
		s.Egress[i].Action = act
		return nil
	})
}

// priority sets spec.priority.
func priority(name string, prio int32) Edit {
	return onPolicy(name, fmt.Sprintf("priority = %d", prio), func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		s.Priority = prio
		return nil
	})
}

// egressNamedPort sets spec.egress[i].protocols to the one named port.
func egressNamedPort(name string, i int, port string) Edit {
	what := fmt.Sprintf("egress[%d].protocols = [destinationNamedPort: %s]", i, port)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		if err := inRange("egress", len(s.Egress), i); err != nil {
			return err
		}
		s.Egress[i].Protocols = []cnp.ClusterNetworkPolicyProtocol{{DestinationNamedPort: port}}
		return nil
	})
}

// ingressNamedPort sets spec.ingress[i].protocols to the one named port.
func ingressNamedPort(name string, i int, port string) Edit {
	what := fmt.Sprintf("ingress[%d].protocols = [destinationNamedPort: %s]", i, port)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, _ Addresses) error {
		if err := inRange("ingress", len(s.Ingress), i); err != nil {
			return err
		}
		s.Ingress[i].Protocols = []cnp.ClusterNetworkPolicyProtocol{{DestinationNamedPort: port}}
		return nil
	})
}

// insertAcceptToPods puts a new first egress rule: Accept to networks that are the host prefixes (/32, /128) of
// the pods' addresses. Upstream inserts those of the family of the pods' primary IP and probes only that family;
// here every family of the dual-stack cluster is probed in one state, so the rule lists the pods' prefixes of
// both families, which for each family is upstream's rule plus prefixes of the other family that cannot match.
func insertAcceptToPods(name, rule string, pods ...string) Edit {
	what := fmt.Sprintf("insert egress[0] %q: Accept to networks = host prefixes of %v", rule, pods)
	return onPolicy(name, what, func(s *cnp.ClusterNetworkPolicySpec, a Addresses) error {
		var nets []cnp.CIDR
		for _, pod := range pods {
			ips := a.PodIPs(pod)
			if len(ips) == 0 {
				return fmt.Errorf("pod %s has no address", pod)
			}
			for _, ip := range ips {
				nets = append(nets, cnp.CIDR(netip.PrefixFrom(ip, ip.BitLen()).String()))
			}
		}
		r := cnp.ClusterNetworkPolicyEgressRule{
			Name:   rule,
			Action: cnp.ClusterNetworkPolicyRuleActionAccept,
			To:     []cnp.ClusterNetworkPolicyEgressPeer{{Networks: nets}},
		}
		s.Egress = append([]cnp.ClusterNetworkPolicyEgressRule{r}, s.Egress...)
		return nil
	})
}

// deleteNetworkPolicy removes the NetworkPolicy ns/name.
func deleteNetworkPolicy(ns, name string) Edit {
	return Edit{What: fmt.Sprintf("delete NetworkPolicy %s/%s", ns, name), apply: func(o *Objects, _ Addresses) error {
		i := slices.IndexFunc(o.Policies, func(p *networkingv1.NetworkPolicy) bool {
			return p.Namespace == ns && p.Name == name
		})
		if i < 0 {
			return fmt.Errorf("no NetworkPolicy %s/%s", ns, name)
		}
		o.Policies = slices.Delete(o.Policies, i, i+1)
		return nil
	}}
}

package eval

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// String gives a one-line explanation, e.g.
//
//	deny: ingress of y/b isolated by y/deny-all, no rule allows x/a TCP/80
//	allow: x/a -> y/b TCP/80: egress of x/a not isolated; ingress of y/b allowed by y/allow-x ingress[0]
//	deny: egress of x/a: Admin ClusterNetworkPolicy egress-tcp egress[3] "deny-to-y" (priority 6) denies y/b TCP/80
//	allow: x/a -> y/b TCP/80: egress of x/a: Admin ClusterNetworkPolicy ops egress[0] (priority 5) passes, then
//	  Baseline ClusterNetworkPolicy default egress[1] (priority 10) accepts y/b TCP/80; ingress of y/b not isolated
//	allow: x/a -> y/b TCP/80: egress of x/a: no ClusterNetworkPolicy rule matches y/b TCP/80, allowed by default;
//	  ingress of y/b not isolated
//
// (the last two on one line each). Pods are named as the IR names them, other addresses by the address. Rules with fields
// nftpolicy does not enforce that were looked at are named at the end of their side: "(not enforced: …)".
func (v Verdict) String() string {
	src, dst := name(v.Egress.Pod, v.src), name(v.Ingress.Pod, v.dst)
	what := protoString(v.proto) + "/" + fmt.Sprint(v.port)
	if v.SamePod {
		return fmt.Sprintf("allow: %s to itself %s, before any policy (a pod cannot block access to itself)", src, what)
	}
	egress := v.Egress.explain(ir.Egress, src, dst, what)
	ingress := v.Ingress.explain(ir.Ingress, dst, src, what)
	if v.Audited() {
		return fmt.Sprintf("audit: %s -> %s %s passes, but would be denied: %s; %s", src, dst, what, egress, ingress)
	}
	if v.Allowed {
		return fmt.Sprintf("allow: %s -> %s %s: %s; %s", src, dst, what, egress, ingress)
	}
	var denied []string
	if !v.Egress.Allowed {
		denied = append(denied, egress)
	}
	if !v.Ingress.Allowed {
		denied = append(denied, ingress)
	}
	return "deny: " + strings.Join(denied, "; ")
}

// explain describes the side of self (the pod or address on this side) towards peer: the Pass rules on the way,
// then what decided.
func (s Side) explain(d ir.Direction, self, peer, what string) string {
	var decision string
	switch s.Tier {
	case Admin, Baseline:
		verb := "denies"
		if s.DecidedBy.Action == ir.Accept {
			verb = "accepts"
		}
		decision = fmt.Sprintf("%s %s %s %s", s.DecidedBy, verb, peer, what)
	case NetworkPolicy:
		switch {
		case s.WouldDrop:
			decision = fmt.Sprintf("isolated by %s, no rule allows %s %s (audit mode: logged, not dropped)",
				policyList(s.Policies), peer, what)
		case s.Allowed:
			refs := make([]string, len(s.AllowedBy))
			for i, r := range s.AllowedBy {
				refs[i] = fmt.Sprintf("%s %s[%d]", r.Policy, d, r.Index)
			}
			decision = "allowed by " + strings.Join(refs, ", ")
		default:
			decision = fmt.Sprintf("isolated by %s, no rule allows %s %s", policyList(s.Policies), peer, what)
		}
	default:
		switch {
		case len(s.Passed) > 0:
			decision = "allowed by default"
		case s.RulesUndecided():
			decision = fmt.Sprintf("no ClusterNetworkPolicy rule matches %s %s, allowed by default", peer, what)
		default:
			decision = "not isolated"
		}
	}
	out := fmt.Sprintf("%s of %s", d, self)
	switch {
	case len(s.Passed) > 0:
		steps := make([]string, 0, len(s.Passed)+1)
		for _, p := range s.Passed {
			steps = append(steps, p.String()+" passes")
		}
		out += ": " + strings.Join(append(steps, decision), ", then ")
	case s.DecidedBy != nil || s.RulesUndecided():
		out += ": " + decision
	default:
		out += " " + decision
	}
	if len(s.Unenforced) > 0 {
		out += " (not enforced: " + unenforcedList(s.Unenforced) + ")"
	}
	return out
}

// RulesUndecided reports whether ClusterNetworkPolicy rules apply to the pod in this direction and none of them
// decided (Tier Default: none matched, or only a Pass): the default allowed, not the absence of any policy.
func (s Side) RulesUndecided() bool { return s.Tier == Default && s.looked > 0 }

// unenforcedList names each rule and its unenforced fields: `ClusterNetworkPolicy a egress[2] spec.egress[2].to[0]
// .domainNames; …`.
func unenforcedList(rs []ClusterRuleRef) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Ref() + " " + strings.Join(r.Unenforced, ", ")
	}
	return strings.Join(out, "; ")
}

func policyList(ps []ir.PolicyRef) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.String()
	}
	return strings.Join(names, ", ")
}

func name(p ir.PodRef, addr netip.Addr) string {
	if p != (ir.PodRef{}) {
		return p.String()
	}
	return addr.String()
}

func protoString(p ir.Protocol) string {
	switch p {
	case ir.TCP, ir.UDP, ir.SCTP:
		return strings.ToUpper(p.String())
	}
	return fmt.Sprintf("protocol %d", p)
}

package controllers

import (
	"fmt"

	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// unenforcedFields lists the fields of a valid ClusterNetworkPolicy that nftpolicy does not enforce, by path, in
// the builder's words (ir.ClusterRule.Unenforced): every egress domainNames peer, and peers and protocols entries
// that set no field this build knows (a newer API's; decoding dropped it). The builder compiles each as failing
// closed in a Deny or Pass rule and matching nothing in an Accept rule.
func unenforcedFields(p *cnp.ClusterNetworkPolicy) []string {
	var out []string
	for i, r := range p.Spec.Ingress {
		path := fmt.Sprintf("spec.ingress[%d]", i)
		for j, f := range r.From {
			if f.Namespaces == nil && f.Pods == nil {
				out = append(out, fmt.Sprintf("%s.from[%d]", path, j))
			}
		}
		out = append(out, unknownProtocols(path, r.Protocols)...)
	}
	for i, r := range p.Spec.Egress {
		path := fmt.Sprintf("spec.egress[%d]", i)
		for j, t := range r.To {
			at := fmt.Sprintf("%s.to[%d]", path, j)
			switch {
			case t.DomainNames != nil:
				out = append(out, at+".domainNames")
			case t.Namespaces == nil && t.Pods == nil && t.Networks == nil && t.Nodes == nil:
				out = append(out, at)
			}
		}
		out = append(out, unknownProtocols(path, r.Protocols)...)
	}
	return out
}

func unknownProtocols(path string, ps []cnp.ClusterNetworkPolicyProtocol) []string {
	var out []string
	for k, p := range ps {
		if p.TCP == nil && p.UDP == nil && p.SCTP == nil && p.DestinationNamedPort == "" {
			out = append(out, fmt.Sprintf("%s.protocols[%d]", path, k))
		}
	}
	return out
}

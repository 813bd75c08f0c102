package build

import (
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// compiled is a validated NetworkPolicy in the builder's form. It is never changed once made, so a Builder keeps
// it from one build to the next.
type compiled struct {
	ref    ir.PolicyRef
	podSel labels.Selector
	podKey string
	// isolates says, per ir.Direction, whether the effective policyTypes contain that direction.
	isolates [2]bool
	// rules per ir.Direction; nil for a direction the policy does not isolate.
	rules [2][]rule
	// namedIngress are the distinct named ports of the ingress rules, sorted: they resolve on the selected pod
	// and so are part of a group's key.
	namedIngress []portName
}

// rule is one spec.ingress[i] or spec.egress[i].
type rule struct {
	peers []peer     // empty: any address
	ports []portSpec // empty: every port and protocol
}

// peer is one entry of from/to: either block or a selector pair.
type peer struct {
	block *ir.IPBlock
	// nsSel is nil when namespaceSelector is absent (pods of the policy's namespace).
	nsSel  labels.Selector
	nsKey  string
	podSel labels.Selector // labels.Everything() when podSelector is absent
	podKey string
}

// portSpec is one entry of ports: a named port if name is set, else the range first-last.
type portSpec struct {
	proto       ir.Protocol
	name        string
	first, last uint16
}

// portName is a named port with its protocol; only a container port of the same name and protocol matches.
type portName struct {
	name  string
	proto ir.Protocol
}

// namedPortsOf returns the distinct named ports of rules, sorted.
func namedPortsOf(rules []rule) []portName {
	var out []portName
	for _, r := range rules {
		for _, p := range r.ports {
			if p.name != "" {
				out = append(out, portName{p.name, p.proto})
			}
		}
	}
	return sortPortNames(out)
}

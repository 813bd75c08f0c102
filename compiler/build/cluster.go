package build

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// clusterKind names ClusterNetworkPolicy in errors.
const clusterKind = "ClusterNetworkPolicy"

// API limits of v1beta1 (the CRD's validation; offline manifests get the same checks).
const (
	maxClusterPriority = 1000
	maxClusterItems    = 25  // rules per direction, peers per rule, networks, domain names, protocols
	maxRuleName        = 100 // rule.name
)

// compiledCluster is a validated ClusterNetworkPolicy in the builder's form; never changed once made.
type compiledCluster struct {
	name     string
	tier     ir.Tier
	priority int32
	// The subject: pods of the namespaces nsSel selects that podSel selects (Everything for subject.namespaces).
	nsSel, podSel labels.Selector
	nsKey, podKey string
	rules         [2][]clusterRule // per ir.Direction
	// namedIngress are the destination named ports of the ingress rules, sorted: they resolve on the subject pod.
	namedIngress []portName
}

// clusterRule is one spec.ingress[i] or spec.egress[i] of a ClusterNetworkPolicy.
type clusterRule struct {
	index  int
	name   string
	action ir.Action
	// peers are the pod and namespace peers (as selector pairs, namespace selector always set), networks
	// (blocks) and nodes.
	peers    []peer
	nodes    []parsedSelector
	allPorts bool
	ports    []portSpec
	// failClosed: the rule has a peer or protocols entry this build cannot read. As the API prescribes, an Accept
	// rule then matches nothing, a Deny or Pass rule denies all traffic.
	failClosed bool
	// anyPeer: a Deny or Pass rule has a domainNames peer, which the kernel cannot match: the rule denies every
	// address on its protocols.
	anyPeer    bool
	unenforced []string
}

// ValidateCluster checks one ClusterNetworkPolicy as the v1beta1 CRD would and returns a *FieldError naming the
// policy and the field path, e.g. `ClusterNetworkPolicy deny-db: spec.egress[0].to[1].networks[0]: invalid CIDR
// "10.0.0.1/8": host bits set`.
func ValidateCluster(p *cnp.ClusterNetworkPolicy) error {
	_, err := compileCluster(p, nil)
	return err
}

// UnenforcedFields validates p like ValidateCluster and lists the field paths of p that nftpolicy cannot
// enforce (domainNames peers, peers and protocols entries of a newer API, peer selectors no selector can be made
// of), in rule order: the rules holding them fail closed.
func UnenforcedFields(p *cnp.ClusterNetworkPolicy) ([]string, error) {
	c, err := compileCluster(p, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range []ir.Direction{ir.Ingress, ir.Egress} {
		for _, r := range c.rules[d] {
			out = append(out, r.unenforced...)
		}
	}
	return out, nil
}

// compileCluster validates p and converts it to the builder's form.
func compileCluster(p *cnp.ClusterNetworkPolicy, memo selectorMemo) (*compiledCluster, error) {
	if p == nil {
		return nil, errors.New("ClusterNetworkPolicy is nil")
	}
	c := &compiledCluster{name: p.Name, priority: p.Spec.Priority}
	ref := ir.PolicyRef{Name: p.Name}
	cc := clusterCompiler{ref: ref, memo: memo}
	if p.Name == "" {
		return nil, cc.fail("metadata.name", "required")
	}
	switch p.Spec.Tier {
	case cnp.AdminTier:
		c.tier = ir.Admin
	case cnp.BaselineTier:
		c.tier = ir.Baseline
	default:
		return nil, cc.fail("spec.tier", "unsupported tier %q (want Admin or Baseline)", p.Spec.Tier)
	}
	if p.Spec.Priority < 0 || p.Spec.Priority > maxClusterPriority {
		return nil, cc.fail("spec.priority", "invalid priority %d (want 0-%d)", p.Spec.Priority, maxClusterPriority)
	}
	var err error
	s := &p.Spec.Subject
	switch {
	case s.Namespaces != nil && s.Pods != nil:
		return nil, cc.fail("spec.subject", "set exactly one of namespaces and pods, not both")
	case s.Namespaces != nil:
		if c.nsSel, c.nsKey, err = cc.selector(s.Namespaces, "spec.subject.namespaces"); err != nil {
			return nil, err
		}
		c.podSel = labels.Everything()
	case s.Pods != nil:
		if c.nsSel, c.nsKey, c.podSel, c.podKey, err = cc.namespacedPod(s.Pods, "spec.subject.pods"); err != nil {
			return nil, err
		}
	default:
		return nil, cc.fail("spec.subject", "set exactly one of namespaces and pods")
	}
	if len(p.Spec.Ingress) > maxClusterItems {
		return nil, cc.fail("spec.ingress", "too many rules: %d (at most %d)", len(p.Spec.Ingress), maxClusterItems)
	}
	if len(p.Spec.Egress) > maxClusterItems {
		return nil, cc.fail("spec.egress", "too many rules: %d (at most %d)", len(p.Spec.Egress), maxClusterItems)
	}
	for i := range p.Spec.Ingress {
		r := &p.Spec.Ingress[i]
		peers := make([]cnp.ClusterNetworkPolicyEgressPeer, len(r.From))
		for j, f := range r.From {
			peers[j] = cnp.ClusterNetworkPolicyEgressPeer{Namespaces: f.Namespaces, Pods: f.Pods}
		}
		cr, err := cc.rule(ir.Ingress, i, r.Name, r.Action, peers, r.Protocols)
		if err != nil {
			return nil, err
		}
		c.rules[ir.Ingress] = append(c.rules[ir.Ingress], cr)
	}
	for i := range p.Spec.Egress {
		r := &p.Spec.Egress[i]
		cr, err := cc.rule(ir.Egress, i, r.Name, r.Action, r.To, r.Protocols)
		if err != nil {
			return nil, err
		}
		c.rules[ir.Egress] = append(c.rules[ir.Egress], cr)
	}
	for _, r := range c.rules[ir.Ingress] {
		for _, ps := range r.ports {
			if ps.name != "" {
				c.namedIngress = append(c.namedIngress, portName{ps.name, ps.proto})
			}
		}
	}
	c.namedIngress = sortPortNames(c.namedIngress)
	return c, nil
}

// clusterCompiler carries what every field check of one policy needs.
type clusterCompiler struct {
	ref  ir.PolicyRef
	memo selectorMemo
}

func (cc *clusterCompiler) fail(field, format string, args ...any) error {
	return &FieldError{Kind: clusterKind, Policy: cc.ref, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// selector parses a label selector; its errors name the ClusterNetworkPolicy.
func (cc *clusterCompiler) selector(s *metav1.LabelSelector, path string) (labels.Selector, string, error) {
	sel, key, err := cc.memo.compile(cc.ref, s, path)
	if fe, ok := errors.AsType[*FieldError](err); ok {
		fe.Kind = clusterKind
	}
	return sel, key, err
}

// namespacedPod parses a pods subject or peer: an empty or absent namespace selector selects every namespace.
func (cc *clusterCompiler) namespacedPod(np *cnp.NamespacedPod, path string) (nsSel labels.Selector, nsKey string, podSel labels.Selector, podKey string, err error) {
	if nsSel, nsKey, err = cc.selector(&np.NamespaceSelector, path+".namespaceSelector"); err != nil {
		return
	}
	podSel, podKey, err = cc.selector(&np.PodSelector, path+".podSelector")
	return
}

// rule compiles one rule. Ingress peers arrive as egress peers with only namespaces and pods set.
func (cc *clusterCompiler) rule(d ir.Direction, i int, name string, action cnp.ClusterNetworkPolicyRuleAction,
	peers []cnp.ClusterNetworkPolicyEgressPeer, protocols []cnp.ClusterNetworkPolicyProtocol) (clusterRule, error) {
	path := "spec." + d.String() + "[" + strconv.Itoa(i) + "]"
	r := clusterRule{index: i, name: name}
	if len(name) > maxRuleName {
		return r, cc.fail(path+".name", "too long: %d characters (at most %d)", len(name), maxRuleName)
	}
	switch action {
	case cnp.ClusterNetworkPolicyRuleActionAccept:
		r.action = ir.Accept
	case cnp.ClusterNetworkPolicyRuleActionDeny:
		r.action = ir.Deny
	case cnp.ClusterNetworkPolicyRuleActionPass:
		r.action = ir.Pass
	default:
		return r, cc.fail(path+".action", "unsupported action %q (want Accept, Deny or Pass)", action)
	}
	peerField := map[ir.Direction]string{ir.Ingress: ".from", ir.Egress: ".to"}[d]
	if len(peers) == 0 {
		return r, cc.fail(path+peerField, "required: at least one peer")
	}
	if len(peers) > maxClusterItems {
		return r, cc.fail(path+peerField, "too many peers: %d (at most %d)", len(peers), maxClusterItems)
	}
	noNamed := ""
	for j := range peers {
		at := path + peerField + "[" + strconv.Itoa(j) + "]"
		kind, err := cc.peer(&r, &peers[j], at)
		if err != nil {
			return r, err
		}
		if kind == "networks" || kind == "nodes" || kind == "domainNames" {
			noNamed = at + "." + kind
		}
	}
	r.allPorts = protocols == nil
	if protocols != nil && (len(protocols) == 0 || len(protocols) > maxClusterItems) {
		return r, cc.fail(path+".protocols", "want 1-%d entries, got %d", maxClusterItems, len(protocols))
	}
	for j := range protocols {
		at := path + ".protocols[" + strconv.Itoa(j) + "]"
		if err := cc.protocol(&r, &protocols[j], at, noNamed); err != nil {
			return r, err
		}
	}
	switch {
	case r.failClosed:
		// "For Accept rules, fail closed means: treat the rule as matching no traffic. For Deny and Pass rules,
		// treat the rule as a Deny all rule" (the v1beta1 peer types).
		r.peers, r.nodes, r.ports, r.allPorts = nil, nil, nil, r.action != ir.Accept
		if r.action != ir.Accept {
			r.action = ir.Deny
		}
	case r.anyPeer:
		// domainNames is a field this build knows but cannot enforce: the rule keeps its protocols and denies
		// every address on them. A Pass must not pass what it was meant to narrow.
		r.action = ir.Deny
	}
	return r, nil
}

// peer compiles one peer into r and returns which field it sets ("" for none this build knows).
func (cc *clusterCompiler) peer(r *clusterRule, p *cnp.ClusterNetworkPolicyEgressPeer, at string) (string, error) {
	var set []string
	if p.Namespaces != nil {
		set = append(set, "namespaces")
	}
	if p.Pods != nil {
		set = append(set, "pods")
	}
	if p.Nodes != nil {
		set = append(set, "nodes")
	}
	if p.Networks != nil {
		set = append(set, "networks")
	}
	if p.DomainNames != nil {
		set = append(set, "domainNames")
	}
	if len(set) > 1 {
		return "", cc.fail(at, "set exactly one of %s", strings.Join(set, ", "))
	}
	if len(set) == 0 {
		// A field of a newer API than this build's: the rule fails closed.
		r.unenforced = append(r.unenforced, at)
		r.failClosed = true
		return "", nil
	}
	switch set[0] {
	case "namespaces":
		sel, key, err := cc.selector(p.Namespaces, at+".namespaces")
		if err != nil {
			return cc.unreadable(r, at+".namespaces", set[0])
		}
		r.peers = append(r.peers, peer{nsSel: sel, nsKey: key, podSel: labels.Everything()})
	case "pods":
		nsSel, nsKey, podSel, podKey, err := cc.namespacedPod(p.Pods, at+".pods")
		if err != nil {
			return cc.unreadable(r, at+".pods", set[0])
		}
		r.peers = append(r.peers, peer{nsSel: nsSel, nsKey: nsKey, podSel: podSel, podKey: podKey})
	case "nodes":
		sel, key, err := cc.selector(p.Nodes, at+".nodes")
		if err != nil {
			return cc.unreadable(r, at+".nodes", set[0])
		}
		r.nodes = append(r.nodes, parsedSelector{sel, key})
	case "networks":
		if len(p.Networks) == 0 || len(p.Networks) > maxClusterItems {
			return "", cc.fail(at+".networks", "want 1-%d CIDRs, got %d", maxClusterItems, len(p.Networks))
		}
		for k, s := range p.Networks {
			pf, err := cc.network(string(s), at+".networks["+strconv.Itoa(k)+"]")
			if err != nil {
				return "", err
			}
			r.peers = append(r.peers, peer{block: &ir.IPBlock{CIDR: pf}})
		}
	case "domainNames":
		if len(p.DomainNames) == 0 || len(p.DomainNames) > maxClusterItems {
			return "", cc.fail(at+".domainNames", "want 1-%d names, got %d", maxClusterItems, len(p.DomainNames))
		}
		// Not enforceable in the kernel. In an Accept rule the peer matches nothing (the rule's other peers
		// still do: what it accepts is a subset of what was asked); a Deny or Pass rule fails closed on its
		// protocols: every address.
		r.unenforced = append(r.unenforced, at+".domainNames")
		r.anyPeer = r.anyPeer || r.action != ir.Accept
	}
	return set[0], nil
}

// unreadable handles a peer selector the API server stores but no selector can be made of (the CRD does not
// check operators or label syntax): the peer cannot be enforced and the rule fails closed. Setting the whole
// policy aside instead would drop its other rules, Deny rules too.
func (cc *clusterCompiler) unreadable(r *clusterRule, at, kind string) (string, error) {
	r.unenforced = append(r.unenforced, at)
	r.failClosed = true
	return kind, nil
}

// network parses a networks CIDR: host bits must be clear, as the CRD's CEL rule requires.
func (cc *clusterCompiler) network(s, at string) (netip.Prefix, error) {
	pf, err := netip.ParsePrefix(s)
	if err != nil {
		return pf, &FieldError{Kind: clusterKind, Policy: cc.ref, Field: at, Detail: fmt.Sprintf("invalid CIDR %q", s), Err: err}
	}
	if pf.Addr().Is4In6() || pf.Addr().Zone() != "" {
		return pf, cc.fail(at, "invalid CIDR %q", s)
	}
	if pf.Masked() != pf {
		return pf, cc.fail(at, "invalid CIDR %q: host bits set (want %s)", s, pf.Masked())
	}
	return pf, nil
}

// protocol compiles one protocols entry into r. noNamed names a networks/nodes/domainNames peer of the rule,
// which a named port may not be combined with.
func (cc *clusterCompiler) protocol(r *clusterRule, p *cnp.ClusterNetworkPolicyProtocol, at, noNamed string) error {
	type entry struct {
		field string
		proto ir.Protocol
		port  *cnp.Port
	}
	var set []entry
	if p.TCP != nil {
		set = append(set, entry{"tcp", ir.TCP, p.TCP.DestinationPort})
	}
	if p.UDP != nil {
		set = append(set, entry{"udp", ir.UDP, p.UDP.DestinationPort})
	}
	if p.SCTP != nil {
		set = append(set, entry{"sctp", ir.SCTP, p.SCTP.DestinationPort})
	}
	if p.DestinationNamedPort != "" {
		set = append(set, entry{field: "destinationNamedPort"})
	}
	switch {
	case len(set) > 1:
		names := make([]string, len(set))
		for i, e := range set {
			names[i] = e.field
		}
		return cc.fail(at, "set exactly one of %s", strings.Join(names, ", "))
	case len(set) == 0:
		// A protocol of a newer API than this build's: the rule fails closed, as for peers.
		r.unenforced = append(r.unenforced, at)
		r.failClosed = true
		return nil
	}
	e := set[0]
	if e.field == "destinationNamedPort" {
		name := p.DestinationNamedPort
		if noNamed != "" {
			return cc.fail(at+".destinationNamedPort", "not allowed with %s: only pods have named ports", noNamed)
		}
		// The CRD does not check the name's syntax; a name no container port can have simply matches nothing.
		// A container port name belongs to one protocol, which the rule does not say: try all three.
		for _, proto := range []ir.Protocol{ir.TCP, ir.UDP, ir.SCTP} {
			r.ports = append(r.ports, portSpec{proto: proto, name: name})
		}
		return nil
	}
	at += "." + e.field + ".destinationPort"
	switch {
	case e.port == nil:
		return cc.fail(at, "required")
	case e.port.Number != 0 && e.port.Range != nil:
		return cc.fail(at, "set exactly one of number and range")
	case e.port.Range != nil:
		s, t := e.port.Range.Start, e.port.Range.End
		if s < 1 || s > 65535 {
			return cc.fail(at+".range.start", "invalid port %d (want 1-65535)", s)
		}
		if t < 1 || t > 65535 {
			return cc.fail(at+".range.end", "invalid port %d (want 1-65535)", t)
		}
		if s >= t {
			return cc.fail(at+".range", "start %d must be less than end %d", s, t)
		}
		r.ports = append(r.ports, portSpec{proto: e.proto, first: uint16(s), last: uint16(t)})
	case e.port.Number < 1 || e.port.Number > 65535:
		return cc.fail(at+".number", "invalid port %d (want 1-65535)", e.port.Number)
	default:
		n := uint16(e.port.Number)
		r.ports = append(r.ports, portSpec{proto: e.proto, first: n, last: n})
	}
	return nil
}

// compileClusterPolicies validates and converts every ClusterNetworkPolicy, sorted by tier, priority and name
// (the precedence order of ir.ClusterRule). Like compilePolicies, a policy object found in known is reused and,
// when next is not nil, every object and its result are recorded in it.
func compileClusterPolicies(in []*cnp.ClusterNetworkPolicy, memo selectorMemo, known, next map[*cnp.ClusterNetworkPolicy]*compiledCluster) ([]*compiledCluster, error) {
	sorted := make([]*cnp.ClusterNetworkPolicy, 0, len(in))
	for _, p := range in {
		if p != nil {
			sorted = append(sorted, p)
		}
	}
	slices.SortFunc(sorted, func(a, b *cnp.ClusterNetworkPolicy) int { return cmp.Compare(a.Name, b.Name) })
	out := make([]*compiledCluster, 0, len(sorted))
	for i, p := range sorted {
		if i+1 < len(sorted) && sorted[i+1].Name == p.Name {
			return nil, fmt.Errorf("ClusterNetworkPolicy %s: listed twice", p.Name)
		}
		c := known[p]
		if c == nil {
			var err error
			if c, err = compileCluster(p, memo); err != nil {
				return nil, err
			}
		}
		if next != nil {
			next[p] = c
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b *compiledCluster) int {
		return cmp.Or(cmp.Compare(a.tier, b.tier), cmp.Compare(a.priority, b.priority))
	})
	return out, nil
}

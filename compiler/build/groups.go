package build

import (
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// group is a group of local pods being built.
type group struct {
	dir      ir.Direction
	key      string
	policies []*compiled // sorted
	// admin and baseline are the ClusterNetworkPolicies of each tier that select the members and have rules in
	// dir, in precedence order; baseline is empty when policies is not.
	admin, baseline []*compiledCluster
	members         []int32 // sorted
	named           namedResolution
}

// applying is what applies to one local pod in one direction.
type applying struct {
	policies        []*compiled
	admin, baseline []*compiledCluster
}

// groupPods finds, for every local pod and direction, the NetworkPolicies of its namespace that select and
// isolate it and the ClusterNetworkPolicies whose subject it is, and groups the pods by direction, those lists
// and (for ingress) the numbers the members give to the named ports of those policies' ingress rules. The
// result is sorted by direction then key.
func groupPods(inv *inventory, pols []*compiled, cnps []*compiledCluster) []*group {
	local := newPodIndex(inv.pods, func(p *podInfo) bool { return p.local })
	var apply [2]map[int32]*applying
	for d := range apply {
		apply[d] = map[int32]*applying{}
	}
	at := func(d int, i int32) *applying {
		a := apply[d][i]
		if a == nil {
			a = &applying{}
			apply[d][i] = a
		}
		return a
	}
	for _, p := range pols { // sorted, so each pod's lists are sorted
		selected := local.match(p.ref.Namespace, p.podSel, p.podKey)
		for d := range apply {
			if !p.isolates[d] {
				continue
			}
			for _, i := range selected {
				a := at(d, i)
				a.policies = append(a.policies, p)
			}
		}
	}
	nss := &nsIndex{inv: inv, cache: map[string][]string{}}
	for _, c := range cnps { // in precedence order
		var selected []int32
		for _, ns := range nss.match(c.nsSel, c.nsKey) {
			selected = append(selected, local.match(ns, c.podSel, c.podKey)...)
		}
		for d := range apply {
			if len(c.rules[d]) == 0 {
				continue
			}
			for _, i := range selected {
				a := at(d, i)
				if c.tier == ir.Admin {
					a.admin = append(a.admin, c)
				} else {
					a.baseline = append(a.baseline, c)
				}
			}
		}
	}

	byKey := map[string]*group{}
	var out []*group
	var b strings.Builder
	for d := range apply {
		dir := ir.Direction(d)
		pods := make([]int32, 0, len(apply[d]))
		for i := range apply[d] {
			pods = append(pods, i)
		}
		slices.Sort(pods)
		for _, i := range pods {
			a := apply[d][i]
			if len(a.policies) > 0 {
				a.baseline = nil // NetworkPolicy decides for the pods it isolates
			}
			b.Reset()
			b.WriteString(dir.String())
			b.WriteByte('|')
			for j, p := range a.policies {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(p.ref.String())
			}
			var named namedResolution
			if dir == ir.Ingress {
				if names := namedIngress(a); len(names) > 0 {
					named = resolveNamed(inv.pods[i].spec, names)
					b.WriteByte('|')
					b.WriteString(named.key())
				}
			}
			writeTier(&b, "|A:", a.admin)
			writeTier(&b, "|B:", a.baseline)
			g := byKey[b.String()]
			if g == nil {
				g = &group{dir: dir, key: b.String(), policies: a.policies, admin: a.admin, baseline: a.baseline, named: named}
				byKey[g.key] = g
				out = append(out, g)
			}
			g.members = append(g.members, i)
		}
	}
	slices.SortFunc(out, func(a, b *group) int {
		if a.dir != b.dir {
			return int(a.dir) - int(b.dir)
		}
		return strings.Compare(a.key, b.key)
	})
	return out
}

// writeTier appends a tier's policy names to a group key; nothing when there are none, so the keys of groups
// without ClusterNetworkPolicies stay as they were.
func writeTier(b *strings.Builder, tag string, cs []*compiledCluster) {
	if len(cs) == 0 {
		return
	}
	b.WriteString(tag)
	for j, c := range cs {
		if j > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.name)
	}
}

// namedIngress is the union of the named ports of the ingress rules of everything in a, sorted.
func namedIngress(a *applying) []portName {
	var lists [][]portName
	for _, p := range a.policies {
		if len(p.namedIngress) > 0 {
			lists = append(lists, p.namedIngress)
		}
	}
	for _, cs := range [][]*compiledCluster{a.admin, a.baseline} {
		for _, c := range cs {
			if len(c.namedIngress) > 0 {
				lists = append(lists, c.namedIngress)
			}
		}
	}
	switch len(lists) {
	case 0:
		return nil
	case 1:
		return lists[0]
	}
	var names []portName
	for _, l := range lists {
		names = append(names, l...)
	}
	return sortPortNames(names)
}

// assemble resolves the group's rules: every rule of every policy, in policy order then index.
func (g *group) assemble(inv *inventory, res *resolver) ir.Group {
	// NetworkPolicies select pods of their own namespace, so the members of a group they isolate share it; audit
	// mode softens only the NetworkPolicy tier.
	out := ir.Group{Direction: g.dir, Key: g.key,
		Audit: len(g.policies) > 0 && inv.audit[inv.pods[g.members[0]].ref.Namespace]}
	for _, p := range g.policies {
		out.Policies = append(out.Policies, p.ref)
	}
	out.Members = make([]ir.Member, len(g.members))
	for j, i := range g.members {
		out.Members[j] = ir.Member{Pod: inv.pods[i].ref, IPs: inv.pods[i].ips}
	}
	for _, p := range g.policies {
		for i, rr := range res.rules(p, g.dir) {
			out.Rules = append(out.Rules, ir.Rule{Policy: p.ref, Index: i, Peers: rr.peers, AllPorts: rr.allPorts,
				Ports: g.ports(&rr), AddrPorts: rr.addrPorts})
		}
	}
	out.Admin = g.tierRules(g.admin, res)
	out.Baseline = g.tierRules(g.baseline, res)
	return out
}

// tierRules resolves the rules of one tier's policies in precedence order: policies as given, rules by index.
func (g *group) tierRules(cs []*compiledCluster, res *resolver) []ir.ClusterRule {
	var out []ir.ClusterRule
	for _, c := range cs {
		for i, rr := range res.clusterRules(c, g.dir) {
			cr := &c.rules[g.dir][i]
			out = append(out, ir.ClusterRule{Policy: c.name, Priority: c.priority, Index: cr.index, Name: cr.name,
				Action: cr.action, Peers: rr.peers, AllPorts: rr.allPorts, Ports: g.ports(&rr),
				AddrPorts: rr.addrPorts, Unenforced: cr.unenforced})
		}
	}
	return out
}

// ports returns a resolved rule's numeric ports with its ingress named ports resolved on the members, which all
// resolve them alike (it is in the key). A member without the name gets nothing from that entry.
func (g *group) ports(rr *resolvedRule) []ir.Port {
	if len(rr.named) == 0 {
		return rr.ports
	}
	ports := slices.Clone(rr.ports)
	for _, pn := range rr.named {
		for _, n := range g.named.lookup(pn) {
			ports = append(ports, ir.Port{Protocol: pn.proto, First: n, Last: n})
		}
	}
	return sortPorts(ports)
}

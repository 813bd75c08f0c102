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
	members  []int32     // sorted
	named    namedResolution
}

// groupPods finds, for every local pod, the policies of its namespace that select it and isolate it in each
// direction, and groups the pods by direction, that policy list and (for ingress) the numbers the members give
// to the named ports of those policies' ingress rules. The result is sorted by direction then key.
func groupPods(inv *inventory, pols []*compiled) []*group {
	local := newPodIndex(inv.pods, func(p *podInfo) bool { return p.local })
	var selecting [2]map[int32][]*compiled
	for d := range selecting {
		selecting[d] = map[int32][]*compiled{}
	}
	for _, p := range pols { // sorted, so each pod's lists are sorted
		selected := local.match(p.ref.Namespace, p.podSel, p.podKey)
		for d := range selecting {
			if !p.isolates[d] {
				continue
			}
			for _, i := range selected {
				selecting[d][i] = append(selecting[d][i], p)
			}
		}
	}

	byKey := map[string]*group{}
	var out []*group
	var b strings.Builder
	for d := range selecting {
		dir := ir.Direction(d)
		pods := make([]int32, 0, len(selecting[d]))
		for i := range selecting[d] {
			pods = append(pods, i)
		}
		slices.Sort(pods)
		for _, i := range pods {
			ps := selecting[d][i]
			b.Reset()
			b.WriteString(dir.String())
			b.WriteByte('|')
			for j, p := range ps {
				if j > 0 {
					b.WriteByte(',')
				}
				b.WriteString(p.ref.String())
			}
			var named namedResolution
			if dir == ir.Ingress {
				if names := namedIngress(ps); len(names) > 0 {
					named = resolveNamed(inv.pods[i].spec, names)
					b.WriteByte('|')
					b.WriteString(named.key())
				}
			}
			g := byKey[b.String()]
			if g == nil {
				g = &group{dir: dir, key: b.String(), policies: ps, named: named}
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

// namedIngress is the union of the named ports of the ingress rules of ps, sorted.
func namedIngress(ps []*compiled) []portName {
	var names []portName
	n := 0
	for _, p := range ps {
		if len(p.namedIngress) > 0 {
			names = p.namedIngress
			n++
		}
	}
	if n <= 1 {
		return names
	}
	names = nil
	for _, p := range ps {
		names = append(names, p.namedIngress...)
	}
	return sortPortNames(names)
}

// assemble resolves the group's rules: every rule of every policy, in policy order then index.
func (g *group) assemble(inv *inventory, res *resolver) ir.Group {
	// A group's pods share the namespace of the policies that select them.
	out := ir.Group{Direction: g.dir, Key: g.key, Audit: inv.audit[inv.pods[g.members[0]].ref.Namespace]}
	for _, p := range g.policies {
		out.Policies = append(out.Policies, p.ref)
	}
	out.Members = make([]ir.Member, len(g.members))
	for j, i := range g.members {
		out.Members[j] = ir.Member{Pod: inv.pods[i].ref, IPs: inv.pods[i].ips}
	}
	for _, p := range g.policies {
		for i, rr := range res.rules(p, g.dir) {
			r := ir.Rule{Policy: p.ref, Index: i, Peers: rr.peers, AllPorts: rr.allPorts, Ports: rr.ports,
				AddrPorts: rr.addrPorts}
			if len(rr.named) > 0 {
				// Ingress named ports resolve on the members, which all resolve them alike (it is in the key).
				// A member without the name gets nothing from that entry.
				ports := slices.Clone(rr.ports)
				for _, pn := range rr.named {
					for _, n := range g.named.lookup(pn) {
						ports = append(ports, ir.Port{Protocol: pn.proto, First: n, Last: n})
					}
				}
				r.Ports = sortPorts(ports)
			}
			out.Rules = append(out.Rules, r)
		}
	}
	return out
}

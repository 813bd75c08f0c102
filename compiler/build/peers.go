package build

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// resolvedRule is a rule with its peers resolved; ingress named ports are still names, since they resolve on
// each group's members.
type resolvedRule struct {
	peers     ir.Peers
	allPorts  bool
	ports     []ir.Port  // numeric ports
	named     []portName // ingress: named ports, resolved per group
	addrPorts []ir.AddrPort
}

// resolver resolves peers. Its caches key on namespaces and canonical selector strings, so policies that repeat
// a selector share the work and the resulting slices.
type resolver struct {
	inv      *inventory
	all      *podIndex
	ns       *nsIndex
	peerPods map[string][]int32
	addrs    map[string][]netip.Addr
	named    map[portName][]podPort // every eligible pod's named ports; built on first use
	resolved map[*compiled]*[2][]resolvedRule
	// resolvedCluster is the same for ClusterNetworkPolicies.
	resolvedCluster map[*compiledCluster]*[2][]resolvedRule
}

type podPort struct {
	pod  int32
	port uint16
}

func newResolver(inv *inventory) *resolver {
	return &resolver{
		inv:      inv,
		all:      newPodIndex(inv.pods, func(*podInfo) bool { return true }),
		ns:       &nsIndex{inv: inv, cache: map[string][]string{}},
		peerPods: map[string][]int32{},
		addrs:    map[string][]netip.Addr{},
		resolved: map[*compiled]*[2][]resolvedRule{},

		resolvedCluster: map[*compiledCluster]*[2][]resolvedRule{},
	}
}

// rules returns p's rules of direction d with peers resolved, computing them once per policy and build.
func (r *resolver) rules(p *compiled, d ir.Direction) []resolvedRule {
	rs := r.resolved[p]
	if rs == nil {
		rs = &[2][]resolvedRule{}
		r.resolved[p] = rs
	}
	if rs[d] != nil || len(p.rules[d]) == 0 {
		return rs[d]
	}
	out := make([]resolvedRule, len(p.rules[d]))
	for i := range p.rules[d] {
		out[i] = r.rule(p, d, &p.rules[d][i])
	}
	rs[d] = out
	return out
}

func (r *resolver) rule(p *compiled, d ir.Direction, ru *rule) resolvedRule {
	var rr resolvedRule
	rr.peers = r.peers(p.ref.Namespace, ru.peers)
	rr.allPorts = len(ru.ports) == 0
	rr.ports = numericPorts(ru.ports)
	var named []portName
	for _, ps := range ru.ports {
		if ps.name != "" {
			named = append(named, portName{ps.name, ps.proto})
		}
	}
	named = sortPortNames(named)
	if d == ir.Ingress {
		rr.named = named
	} else if len(named) > 0 {
		rr.addrPorts = r.egressNamed(p.ref.Namespace, ru.peers, named)
	}
	return rr
}

// selectorKey identifies what a selector peer of a policy in namespace ns selects.
func selectorKey(ns string, pr *peer) string {
	if pr.nsSel == nil {
		return "pod\x00" + ns + "\x00" + pr.podKey
	}
	return "ns\x00" + pr.nsKey + "\x00" + pr.podKey
}

// podsOf returns the eligible pods a selector peer of a policy in namespace ns selects, sorted (pods are sorted
// by namespace, and namespaces are visited in order). podSelector alone: pods of ns; namespaceSelector: pods of
// every matching namespace that also match podSelector (AND).
func (r *resolver) podsOf(ns string, pr *peer, key string) []int32 {
	if out, ok := r.peerPods[key]; ok {
		return out
	}
	var out []int32
	if pr.nsSel == nil {
		out = r.all.match(ns, pr.podSel, pr.podKey)
	} else {
		for _, n := range r.ns.match(pr.nsSel, pr.nsKey) {
			out = append(out, r.all.match(n, pr.podSel, pr.podKey)...)
		}
	}
	r.peerPods[key] = out
	return out
}

// peers resolves a from/to list: empty means any address; otherwise the union (OR) of its entries.
func (r *resolver) peers(ns string, prs []peer) ir.Peers {
	if len(prs) == 0 {
		return ir.Peers{Any: true}
	}
	var out ir.Peers
	var keys []string
	for i := range prs {
		pr := &prs[i]
		if pr.block != nil {
			out.Blocks = append(out.Blocks, *pr.block)
			continue
		}
		keys = append(keys, selectorKey(ns, pr))
	}
	slices.SortFunc(out.Blocks, compareBlock)
	out.Blocks = slices.CompactFunc(out.Blocks, func(a, b ir.IPBlock) bool { return compareBlock(a, b) == 0 })
	if len(keys) == 0 {
		return out
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	all := strings.Join(keys, "\x01")
	if addrs, ok := r.addrs[all]; ok {
		out.Addrs = addrs
		return out
	}
	var addrs []netip.Addr
	for i := range prs {
		if pr := &prs[i]; pr.block == nil {
			for _, pi := range r.podsOf(ns, pr, selectorKey(ns, pr)) {
				addrs = append(addrs, r.inv.pods[pi].ips...)
			}
		}
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	addrs = slices.Compact(addrs)
	r.addrs[all] = addrs
	out.Addrs = addrs
	return out
}

// egressNamed resolves the named ports of an egress rule on each peer pod: (pod address, port) pairs. An empty
// to list means every eligible pod of the cluster; an ipBlock means every eligible pod address inside it.
func (r *resolver) egressNamed(ns string, prs []peer, names []portName) []ir.AddrPort {
	var out []ir.AddrPort
	addPod := func(pi int32, pn portName, num uint16, only func(netip.Addr) bool) {
		for _, a := range r.inv.pods[pi].ips {
			if only == nil || only(a) {
				out = append(out, ir.AddrPort{Addr: a, Port: ir.Port{Protocol: pn.proto, First: num, Last: num}})
			}
		}
	}
	for _, pn := range names {
		if len(prs) == 0 {
			for _, pp := range r.namedIndex()[pn] {
				addPod(pp.pod, pn, pp.port, nil)
			}
			continue
		}
		for i := range prs {
			pr := &prs[i]
			if pr.block != nil {
				for _, pp := range r.namedIndex()[pn] {
					addPod(pp.pod, pn, pp.port, func(a netip.Addr) bool { return inBlock(pr.block, a) })
				}
				continue
			}
			for _, pi := range r.podsOf(ns, pr, selectorKey(ns, pr)) {
				for _, num := range containerPorts(r.inv.pods[pi].spec, pn) {
					addPod(pi, pn, num, nil)
				}
			}
		}
	}
	return sortAddrPorts(out)
}

// namedIndex lists, for every named port, the eligible pods that have it.
func (r *resolver) namedIndex() map[portName][]podPort {
	if r.named != nil {
		return r.named
	}
	r.named = map[portName][]podPort{}
	for i := range r.inv.pods {
		forEachNamedPort(r.inv.pods[i].spec, func(pn portName, num uint16) {
			r.named[pn] = append(r.named[pn], podPort{int32(i), num})
		})
	}
	return r.named
}

func inBlock(b *ir.IPBlock, a netip.Addr) bool {
	if !b.CIDR.Contains(a) {
		return false
	}
	for _, ex := range b.Except {
		if ex.Contains(a) {
			return false
		}
	}
	return true
}

func compareBlock(a, b ir.IPBlock) int {
	if c := comparePrefix(a.CIDR, b.CIDR); c != 0 {
		return c
	}
	return slices.CompareFunc(a.Except, b.Except, comparePrefix)
}

package bench

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// naiveTable is the name of the reference ruleset's table.
const naiveTable = "nftp-naive"

// Naive renders the reference ruleset the datapath benchmark compares nftpolicy with: the same IR, enforced the
// way a rule-per-peer implementation does it. The forward chain jumps to a pod's chain with one rule per
// isolated local pod address (egress by source first, then ingress by destination), and a pod's chain holds
// one rule per allowed peer address or CIDR (and protocol), ending in a drop. A new connection walks every
// rule before the one that admits it, so its cost grows with pods and policies: this is what linear costs.
//
// Only the chains of groups that full accepts are filled (the groups a measured connection walks); the others
// hold just their drop — they would add to the time it takes to load the ruleset, not to the measured path.
// Established and related packets are accepted first, as nftpolicy does.
func Naive(n *ir.Node, full func(ir.Group) bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", naiveTable)
	var dispatch, chains []string
	var sets []string
	for _, dir := range []ir.Direction{ir.Egress, ir.Ingress} {
		for i, g := range n.Groups {
			if g.Direction != dir {
				continue
			}
			chain := fmt.Sprintf("%s-%d", dir, i)
			for _, m := range g.Members {
				for _, a := range m.IPs {
					dispatch = append(dispatch, fmt.Sprintf("%s %s jump %s", addrMatch(a, dir == ir.Egress), a, chain))
				}
			}
			var rules []string
			if full(g) {
				for ri, r := range g.Rules {
					rs, ss := naiveRule(fmt.Sprintf("%s-r%d", chain, ri), r, dir)
					rules, sets = append(rules, rs...), append(sets, ss...)
				}
			}
			rules = append(rules, "drop")
			chains = append(chains, fmt.Sprintf("\tchain %s {\n\t\t%s\n\t}\n", chain, strings.Join(rules, "\n\t\t")))
		}
	}
	for _, s := range sets {
		b.WriteString(s)
	}
	b.WriteString("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n")
	b.WriteString("\t\tct state established,related accept\n")
	for _, d := range dispatch {
		fmt.Fprintf(&b, "\t\t%s\n", d)
	}
	b.WriteString("\t}\n")
	for _, c := range chains {
		b.WriteString(c)
	}
	b.WriteString("}\n")
	return b.String()
}

// naiveRule returns one rule per peer address, CIDR (with its excepts) or address+port, and per protocol, with
// the named port sets it needs. Egress rules return to the forward chain (the destination's ingress is checked
// next); ingress rules accept.
func naiveRule(name string, r ir.Rule, dir ir.Direction) (rules, sets []string) {
	verdict := "accept"
	if dir == ir.Egress {
		verdict = "return"
	}
	dst := dir == ir.Egress // egress peers are destinations
	var peers []string
	switch {
	case r.Peers.Any:
		peers = append(peers, "")
	default:
		for _, a := range r.Peers.Addrs {
			peers = append(peers, fmt.Sprintf("%s %s ", addrMatch(a, !dst), a))
		}
		for _, blk := range r.Peers.Blocks {
			m := addrMatch(blk.CIDR.Addr(), !dst)
			p := fmt.Sprintf("%s %s ", m, blk.CIDR)
			if len(blk.Except) > 0 {
				ex := make([]string, len(blk.Except))
				for i, e := range blk.Except {
					ex[i] = e.String()
				}
				p += fmt.Sprintf("%s != { %s } ", m, strings.Join(ex, ", "))
			}
			peers = append(peers, p)
		}
	}
	ports, portSets := naivePorts(name, r)
	sets = append(sets, portSets...)
	for _, p := range peers {
		for _, pm := range ports {
			rules = append(rules, p+pm+verdict)
		}
	}
	for _, ap := range r.AddrPorts {
		rules = append(rules, fmt.Sprintf("%s %s %s %s", addrMatch(ap.Addr, !dst), ap.Addr, portMatch(ap.Port.Protocol, portText(ap.Port)), verdict))
	}
	return rules, sets
}

// naivePorts returns one port match per protocol of the rule ("" for all ports): a single port or range
// inline, several in a named interval set.
func naivePorts(name string, r ir.Rule) (matches, sets []string) {
	if r.AllPorts {
		return []string{""}, nil
	}
	byProto := map[ir.Protocol][]string{}
	var protos []ir.Protocol
	for _, p := range r.Ports {
		if _, ok := byProto[p.Protocol]; !ok {
			protos = append(protos, p.Protocol)
		}
		byProto[p.Protocol] = append(byProto[p.Protocol], portText(p))
	}
	slices.Sort(protos)
	for _, proto := range protos {
		ps := byProto[proto]
		if len(ps) == 1 {
			matches = append(matches, portMatch(proto, ps[0])+" ")
			continue
		}
		set := fmt.Sprintf("%s-%s", name, proto)
		sets = append(sets, fmt.Sprintf("\tset %s {\n\t\ttype inet_service; flags interval; auto-merge\n\t\telements = { %s }\n\t}\n",
			set, strings.Join(ps, ", ")))
		matches = append(matches, portMatch(proto, "@"+set)+" ")
	}
	return matches, sets
}

func portText(p ir.Port) string {
	if p.First == p.Last {
		return fmt.Sprint(p.First)
	}
	return fmt.Sprintf("%d-%d", p.First, p.Last)
}

func portMatch(proto ir.Protocol, what string) string { return fmt.Sprintf("%s dport %s", proto, what) }

// addrMatch is the match of a's family on the source (src) or destination address.
func addrMatch(a netip.Addr, src bool) string {
	fam := "ip"
	if !a.Unmap().Is4() {
		fam = "ip6"
	}
	if src {
		return fam + " saddr"
	}
	return fam + " daddr"
}

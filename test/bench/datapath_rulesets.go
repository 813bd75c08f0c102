package bench

import (
	"fmt"
	"slices"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// ruleset is one configuration of the node's namespace that the datapath benchmark measures against no
// filtering at all.
type ruleset struct {
	name      string // conntrack, nftpolicy-<policies>, nftpolicy-<policies>-bare, nftpolicy-cnp, naive-<policies>
	policies  int    // 0 for conntrack
	enforcing bool   // the intruder must be dropped
	rules     int    // rules a new connection from the client to the server walks, where that is countable
	load      func(*bed) error
	unload    func(*bed) error
}

// datapathSizes are the cluster sizes of the issue: policies and pods.
type datapathSize struct{ policies, pods int }

var datapathSizes = []datapathSize{{10, 100}, {1000, 10000}, {10000, 50000}}

// conntrackOnly is the least a stateful filter costs: connection tracking and one rule.
const conntrackOnly = `table inet nftp-conntrack {
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
	}
}
`

// rulesets builds every configuration: conntrack only, then nftpolicy's ruleset for each size (at the largest
// also without counters and logging, and with ClusterNetworkPolicies: nftpolicy-cnp), then the naive reference
// for each size, in that order.
func rulesets(sizes []datapathSize) ([]ruleset, error) {
	out := []ruleset{{
		name: "conntrack", rules: 1,
		load:   func(d *bed) error { return d.nft(conntrackOnly) },
		unload: func(d *bed) error { return d.nft("", "delete", "table", "inet", "nftp-conntrack") },
	}}
	var naive []ruleset
	for _, size := range sizes {
		c, node := DatapathCluster(size.policies, size.pods)
		n, err := build.Node(c, node)
		if err != nil {
			return nil, fmt.Errorf("%d policies, %d pods: %w", size.policies, size.pods, err)
		}
		table := compiler.Compile(n)
		out = append(out, ruleset{
			name: fmt.Sprintf("nftpolicy-%d", size.policies), policies: size.policies, enforcing: true,
			load: func(d *bed) error {
				_, err := d.conn.Sync(table)
				return err
			},
			unload: func(d *bed) error { return d.conn.Delete() },
		})
		if size == sizes[len(sizes)-1] {
			// The same policies without counters and drop logging: what those cost, side by side.
			bare := compiler.CompileWith(n, compiler.Options{})
			out = append(out, ruleset{
				name: fmt.Sprintf("nftpolicy-%d-bare", size.policies), policies: size.policies, enforcing: true,
				load: func(d *bed) error {
					_, err := d.conn.Sync(bare)
					return err
				},
				unload: func(d *bed) error { return d.conn.Delete() },
			})
			cnps, err := tiersRuleset(size)
			if err != nil {
				return nil, err
			}
			out = append(out, cnps)
		}
		text := Naive(n, onPath)
		naive = append(naive, ruleset{
			name: fmt.Sprintf("naive-%d", size.policies), policies: size.policies, enforcing: true,
			rules: naiveWalk(n),
			load:  func(d *bed) error { return d.nft(text) },
			unload: func(d *bed) error {
				return d.nft("", "delete", "table", "inet", naiveTable)
			},
		})
	}
	return append(out, naive...), nil
}

// tiersRuleset is nftpolicy-cnp: the largest size's policies and pods with datapathClusterPolicies
// ClusterNetworkPolicies on the client and server (DatapathTiersCluster), compiled with the defaults.
func tiersRuleset(size datapathSize) (ruleset, error) {
	c, node := DatapathTiersCluster(size.policies, size.pods, datapathClusterPolicies)
	n, err := build.Node(c, node)
	if err != nil {
		return ruleset{}, fmt.Errorf("%d policies, %d pods, %d ClusterNetworkPolicies: %w", size.policies, size.pods,
			datapathClusterPolicies, err)
	}
	table := compiler.Compile(n)
	return ruleset{
		name: tiersName, policies: size.policies, enforcing: true,
		load: func(d *bed) error {
			_, err := d.conn.Sync(table)
			return err
		},
		unload: func(d *bed) error { return d.conn.Delete() },
	}, nil
}

// tiersName names the configuration with ClusterNetworkPolicies.
const tiersName = "nftpolicy-cnp"

// onPath says whether a group is on the measured path: the server's ingress or the client's egress.
func onPath(g ir.Group) bool {
	for _, m := range g.Members {
		if (g.Direction == ir.Ingress && slices.Contains(m.IPs, serverIP)) ||
			(g.Direction == ir.Egress && slices.Contains(m.IPs, clientIP)) {
			return true
		}
	}
	return false
}

// naiveWalk counts the rules of Naive a new connection from the client to the server passes over: the
// established check, every dispatch rule up to the server's, and the server's chain up to the client's rule.
func naiveWalk(n *ir.Node) int {
	walked := 1
	for _, dir := range []ir.Direction{ir.Egress, ir.Ingress} {
		for _, g := range n.Groups {
			if g.Direction != dir {
				continue
			}
			for _, m := range g.Members {
				walked += len(m.IPs)
				if dir == ir.Ingress && slices.Contains(m.IPs, serverIP) {
					return walked + serverRulesWalked(g)
				}
			}
		}
	}
	return walked
}

// serverRulesWalked counts the rules of the server's naive chain up to and including the one that admits the
// client.
func serverRulesWalked(g ir.Group) int {
	walked := 0
	for ri, r := range g.Rules {
		rules, _ := naiveRule(fmt.Sprintf("x-%d", ri), r, ir.Ingress)
		if r.Policy.Name == "pol-server-client" {
			return walked + len(rules)
		}
		walked += len(rules)
	}
	return walked
}

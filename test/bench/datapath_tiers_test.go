package bench

import (
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// TestDatapathTiersOnPath keeps nftpolicy-cnp meaningful: at the smallest size (as TestDatapathBed loads it),
// the client's egress goes through an Admin and a Baseline tier and the server's ingress through an Admin tier
// before its NetworkPolicies, each chain with more than a handful of lookups, and only those groups have tiers.
func TestDatapathTiersOnPath(t *testing.T) {
	size := datapathSizes[0]
	c, node := DatapathTiersCluster(size.policies, size.pods, datapathClusterPolicies)
	n, err := build.Node(c, node)
	if err != nil {
		t.Fatal(err)
	}
	chains := map[string]*nft.Chain{}
	for _, ch := range compiler.Compile(n).Chains {
		chains[ch.Name] = ch
	}
	var client, server bool
	for i := range n.Groups {
		g := &n.Groups[i]
		if len(g.Admin)+len(g.Baseline) == 0 {
			continue
		}
		if !onPath(*g) {
			if len(g.Members) != 1 || (g.Members[0].Pod.Name != "client" && g.Members[0].Pod.Name != "server") {
				t.Errorf("%s group of %v has tiers: only the client and server should", g.Direction, g.Members)
			}
			continue
		}
		lookups := 0
		for _, r := range chains[compiler.GroupChainName(g)].Rules {
			if r.Match == nft.Lookup {
				lookups++
			}
		}
		switch {
		case g.Direction == ir.Egress && len(g.Admin) > 0 && len(g.Baseline) > 0 && !g.Isolated():
			client = true
		case g.Direction == ir.Ingress && len(g.Admin) > 0 && g.Isolated():
			server = true
		default:
			t.Errorf("%s group on the path: %d Admin, %d Baseline rules, isolated %v", g.Direction, len(g.Admin), len(g.Baseline), g.Isolated())
		}
		if lookups < 8 {
			t.Errorf("%s group on the path: its chain has only %d lookups", g.Direction, lookups)
		}
	}
	if !client || !server {
		t.Errorf("tiers on the client's egress: %v, on the server's ingress: %v; want both", client, server)
	}
}

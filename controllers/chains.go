package controllers

import (
	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// chainInfo is what one group chain of the applied table stands for: the direction and the policies that
// isolate its pods, and the verdict each counted rule gives ("allow" or "drop", by rule position).
type chainInfo struct {
	Direction ir.Direction
	Policies  []ir.PolicyRef
	Verdicts  map[int]string
}

// chainIndex maps group chain names to what they stand for; the counters and the drop log read it.
type chainIndex map[string]chainInfo

// Verdict labels of counted rules.
const (
	verdictAllow = "allow"
	verdictDrop  = "drop"
)

// indexChains describes the group chains of table t, compiled from n.
func indexChains(n *ir.Node, t *nft.Table) chainIndex {
	idx := chainIndex{}
	for i := range n.Groups {
		g := &n.Groups[i]
		idx[compiler.GroupChainName(g)] = chainInfo{Direction: g.Direction, Policies: g.Policies}
	}
	for _, ch := range t.Chains {
		info, ok := idx[ch.Name]
		if !ok {
			continue
		}
		info.Verdicts = map[int]string{}
		for i, r := range ch.Rules {
			switch {
			case !r.Counter:
			case r.Verdict.Kind == nft.Drop:
				info.Verdicts[i] = verdictDrop
			case r.Verdict.Kind == nft.Accept, r.Verdict.Kind == nft.Return:
				info.Verdicts[i] = verdictAllow
			}
		}
		idx[ch.Name] = info
	}
	return idx
}

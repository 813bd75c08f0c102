package controllers

import (
	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// chainInfo is what one group chain of the applied table stands for: the direction and the policies that
// isolate its pods, whether it is in audit mode, and the verdict each counted rule gives ("allow", "drop" or
// "audit", by rule position).
type chainInfo struct {
	Direction ir.Direction
	Policies  []ir.PolicyRef
	Audit     bool
	Verdicts  map[int]string
}

// chainIndex maps group chain names to what they stand for; the counters and the drop log read it.
type chainIndex map[string]chainInfo

// Verdict labels of counted rules.
const (
	verdictAllow = "allow"
	verdictDrop  = "drop"
	verdictAudit = "audit" // not allowed by any rule, let through because of audit mode
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
			pass := r.Verdict.Kind == nft.Accept || r.Verdict.Kind == nft.Return
			switch {
			case !r.Counter:
			case r.Verdict.Kind == nft.Drop:
				info.Verdicts[i] = verdictDrop
			case pass && r.Match == nft.Always: // the end of an audit chain, where the drop would be
				info.Verdicts[i], info.Audit = verdictAudit, true
			case pass:
				info.Verdicts[i] = verdictAllow
			}
		}
		idx[ch.Name] = info
	}
	return idx
}

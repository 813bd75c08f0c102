package kernel

import (
	"slices"

	"github.com/nftpolicy/nftpolicy/nft"
)

// clone deep-copies a table, so the state Conn remembers cannot change under it when a caller reuses theirs.
func clone(t *nft.Table) *nft.Table {
	if t == nil {
		return nil
	}
	out := &nft.Table{Sets: make([]*nft.Set, len(t.Sets)), Chains: make([]*nft.Chain, len(t.Chains))}
	for i, s := range t.Sets {
		cs := *s
		cs.Key = slices.Clone(s.Key)
		cs.Elements = slices.Clone(s.Elements)
		out.Sets[i] = &cs
	}
	for i, c := range t.Chains {
		cc := *c
		if c.Hook != nil {
			h := *c.Hook
			cc.Hook = &h
		}
		cc.Rules = slices.Clone(c.Rules)
		for j := range cc.Rules {
			cc.Rules[j].Fields = slices.Clone(cc.Rules[j].Fields)
		}
		out.Chains[i] = &cc
	}
	return out
}

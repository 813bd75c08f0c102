package kernel

import (
	"fmt"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// RuleCounter is the counter of one rule of table inet nftpolicy: its chain, the rule's position in the chain
// (from 0), and what it has counted since the rule was added.
type RuleCounter struct {
	Chain   string
	Rule    int
	Packets uint64
	Bytes   uint64
}

// Counters lists the counters of every rule that has one, in the kernel's order (chains in the order it lists
// them, rules in chain order). It dumps only the rules, not the sets, so it stays cheap however many elements the
// table holds.
func (c *Conn) Counters() ([]RuleCounter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, err := c.dumpData(unix.NFT_MSG_GETRULE, appendAttr(nil, unix.NFTA_RULE_TABLE, strz(nft.TableName)))
	if err != nil {
		return nil, fmt.Errorf("read counters of table %s: %w", tableLabel(), err)
	}
	var out []RuleCounter
	pos := map[string]int{}
	for _, d := range data {
		m, err := attrMap(d)
		if err != nil {
			return nil, fmt.Errorf("read counters of table %s: %w", tableLabel(), err)
		}
		if attrString(m[unix.NFTA_RULE_TABLE]) != nft.TableName {
			continue
		}
		chain := attrString(m[unix.NFTA_RULE_CHAIN])
		i := pos[chain]
		pos[chain]++
		exprs, ok, err := decodeExprs(m[unix.NFTA_RULE_EXPRESSIONS])
		if err != nil || !ok {
			continue // a rule someone else wrote; its counter is not ours
		}
		for _, e := range exprs {
			if ctr, isCounter := e.(*expr.Counter); isCounter {
				out = append(out, RuleCounter{Chain: chain, Rule: i, Packets: ctr.Packets, Bytes: ctr.Bytes})
				break
			}
		}
	}
	return out, nil
}

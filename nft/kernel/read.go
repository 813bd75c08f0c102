package kernel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// read dumps the table. The dumps are separate requests: it compares the ruleset generation before and after
// and reads again if it moved. The generation counts changes to every table of the namespace (kube-proxy's
// too), so after a few tries it takes what it read: only a change to this table makes that inconsistent, and the
// next read (the agent's periodic check) sees it.
func (c *Conn) read() (*nft.Table, error) {
	var tbl *nft.Table
	var err error
	for range 3 {
		var before, after uint32
		if before, err = c.genID(); err != nil {
			return nil, err
		}
		tbl, err = c.readOnce()
		if after, _ = c.genID(); before == after {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", tableLabel(), err)
	}
	return tbl, nil
}

func (c *Conn) genID() (uint32, error) {
	msgs, err := c.t.get(unix.NFT_MSG_GETGEN, unix.AF_UNSPEC, nil)
	if err != nil {
		return 0, fmt.Errorf("get ruleset generation: %w", err)
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			continue
		}
		if am, err := attrMap(m.Data[4:]); err == nil {
			if id, ok := attrU32(am[unix.NFTA_GEN_ID]); ok {
				return id, nil
			}
		}
	}
	return 0, fmt.Errorf("get ruleset generation: no generation in reply")
}

// tableFlags returns the flags of our table; ok is false when it does not exist.
func (c *Conn) tableFlags() (flags uint32, ok bool, err error) {
	msgs, err := c.t.get(unix.NFT_MSG_GETTABLE, unix.NFPROTO_INET, appendAttr(nil, unix.NFTA_TABLE_NAME, strz(nft.TableName)))
	if errors.Is(err, unix.ENOENT) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("get table: %w", err)
	}
	for _, m := range msgs {
		if len(m.Data) < 4 {
			return 0, false, fmt.Errorf("get table: reply of %d bytes, shorter than its header", len(m.Data))
		}
		am, err := attrMap(m.Data[4:])
		if err != nil {
			return 0, false, fmt.Errorf("get table: %w", err)
		}
		flags, _ = attrU32(am[unix.NFTA_TABLE_FLAGS])
	}
	return flags, true, nil
}

// dumpData runs a dump of our table and returns each reply's attributes (after the nfgenmsg header).
func (c *Conn) dumpData(msgType uint16, attrs []byte) ([][]byte, error) {
	msgs, err := c.t.dump(msgType, unix.NFPROTO_INET, attrs)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(msgs))
	for _, m := range msgs {
		if len(m.Data) >= 4 {
			out = append(out, m.Data[4:])
		}
	}
	return out, nil
}

func (c *Conn) readOnce() (*nft.Table, error) {
	flags, ok, err := c.tableFlags()
	if err != nil || !ok {
		return nil, err
	}
	c.dormant = flags != 0
	tbl := &nft.Table{}
	if tbl.Chains, err = c.readChains(); err != nil {
		return nil, err
	}
	if tbl.Sets, err = c.readSets(true); err != nil {
		return nil, err
	}
	if err := c.readRules(tbl); err != nil {
		return nil, err
	}
	if flags != 0 {
		// A dormant table hooks nothing: its base chains get an Unknown rule, so that a diff is not empty and a
		// sync rewrites them (after waking the table up, see Conn.apply).
		for _, ch := range tbl.Chains {
			if ch.Hook != nil {
				ch.Rules = append(ch.Rules, nft.Rule{Match: nft.Unknown, Comment: fmt.Sprintf("table flags %#x", flags)})
			}
		}
	}
	return tbl, nil
}

func (c *Conn) readChains() ([]*nft.Chain, error) {
	data, err := c.dumpData(unix.NFT_MSG_GETCHAIN, appendAttr(nil, unix.NFTA_CHAIN_TABLE, strz(nft.TableName)))
	if err != nil {
		return nil, fmt.Errorf("list chains: %w", err)
	}
	var out []*nft.Chain
	for _, d := range data {
		table, ch, skip, err := decodeChain(d)
		if err != nil {
			return nil, fmt.Errorf("decode chain: %w", err)
		}
		if table != nft.TableName || skip {
			continue
		}
		out = append(out, ch)
	}
	slices.SortFunc(out, func(a, b *nft.Chain) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readSets lists the sets of our table, with their elements when withElements is set.
func (c *Conn) readSets(withElements bool) ([]*nft.Set, error) {
	data, err := c.dumpData(unix.NFT_MSG_GETSET, appendAttr(nil, unix.NFTA_SET_TABLE, strz(nft.TableName)))
	if err != nil {
		return nil, fmt.Errorf("list sets: %w", err)
	}
	var out []*nft.Set
	for _, d := range data {
		ds, err := decodeSet(d)
		if err != nil {
			return nil, fmt.Errorf("decode set: %w", err)
		}
		if ds.table != nft.TableName || ds.anonymous {
			continue
		}
		if withElements && ds.foreign == "" {
			if err := c.readElements(ds.set); err != nil {
				return nil, err
			}
		}
		out = append(out, ds.set)
	}
	slices.SortFunc(out, func(a, b *nft.Set) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readElements reads the elements of s, dumping again while a dump comes back inconsistent.
func (c *Conn) readElements(s *nft.Set) error {
	attrs := slices.Concat(appendAttr(nil, unix.NFTA_SET_ELEM_LIST_TABLE, strz(nft.TableName)),
		appendAttr(nil, unix.NFTA_SET_ELEM_LIST_SET, strz(s.Name)))
	for try := range 20 {
		elems, err := c.dumpData(unix.NFT_MSG_GETSETELEM, attrs)
		if err != nil {
			return fmt.Errorf("list elements of set %s %s: %w", tableLabel(), s.Name, err)
		}
		s.Elements, err = decodeElements(s, elems)
		switch {
		case errors.Is(err, errDumpDuplicates):
			time.Sleep(time.Duration(try+1) * 10 * time.Millisecond)
			continue
		case err != nil:
			// Elements the model cannot hold: treat the set as foreign, so a sync replaces it.
			s.Key, s.Elements = nil, nil
		}
		return nil
	}
	return fmt.Errorf("list elements of set %s %s: %w, again and again", tableLabel(), s.Name, errDumpDuplicates)
}

// readSetDefs returns the definitions (no elements) of the sets of our table, by name.
func (c *Conn) readSetDefs() (map[string]*nft.Set, error) {
	sets, err := c.readSets(false)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", tableLabel(), err)
	}
	m := make(map[string]*nft.Set, len(sets))
	for _, s := range sets {
		if s.Key != nil {
			m[s.Name] = s
		}
	}
	return m, nil
}

func (c *Conn) readRules(tbl *nft.Table) error {
	data, err := c.dumpData(unix.NFT_MSG_GETRULE, appendAttr(nil, unix.NFTA_RULE_TABLE, strz(nft.TableName)))
	if err != nil {
		return fmt.Errorf("list rules: %w", err)
	}
	chains := make(map[string]*nft.Chain, len(tbl.Chains))
	for _, ch := range tbl.Chains {
		chains[ch.Name] = ch
	}
	sets := make(map[string]*nft.Set, len(tbl.Sets))
	for _, s := range tbl.Sets {
		sets[s.Name] = s
	}
	for _, d := range data {
		m, err := attrMap(d)
		if err != nil {
			return fmt.Errorf("decode rule: %w", err)
		}
		ch := chains[attrString(m[unix.NFTA_RULE_CHAIN])]
		if attrString(m[unix.NFTA_RULE_TABLE]) != nft.TableName || ch == nil {
			continue
		}
		exprs, ok, err := decodeExprs(m[unix.NFTA_RULE_EXPRESSIONS])
		if err != nil {
			return fmt.Errorf("decode rule in chain %s: %w", ch.Name, err)
		}
		r := nft.Rule{Match: nft.Unknown}
		if ok {
			r, _ = decodeRule(exprs, m[unix.NFTA_RULE_USERDATA])
		}
		if !consistent(r, sets, chains) {
			r = nft.Rule{Match: nft.Unknown, Comment: r.Comment}
		}
		ch.Rules = append(ch.Rules, r)
	}
	return nil
}

// fieldKeys says which key type each field is looked up in.
var fieldKeys = map[nft.Field]nft.KeyType{
	nft.IPSaddr: nft.IPv4Addr, nft.IPDaddr: nft.IPv4Addr, nft.IP6Saddr: nft.IPv6Addr, nft.IP6Daddr: nft.IPv6Addr,
	nft.L4Proto: nft.InetProto, nft.THDport: nft.InetService,
}

// consistent checks what a rule refers to: a lookup's set exists with a key of the fields' types (a map for a
// vmap, a set otherwise), and a jump or goto targets a regular chain of the table.
func consistent(r nft.Rule, sets map[string]*nft.Set, chains map[string]*nft.Chain) bool {
	if r.Match == nft.Lookup || r.Match == nft.VerdictMap {
		s := sets[r.Set]
		if s == nil || s.Key == nil || s.Map != (r.Match == nft.VerdictMap) || len(s.Key) != len(r.Fields) {
			return false
		}
		for i, f := range r.Fields {
			if fieldKeys[f] != s.Key[i] {
				return false
			}
		}
	}
	if r.Match != nft.VerdictMap && (r.Verdict.Kind == nft.Jump || r.Verdict.Kind == nft.Goto) {
		ch := chains[r.Verdict.Chain]
		return ch != nil && ch.Hook == nil
	}
	return true
}

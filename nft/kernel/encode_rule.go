package kernel

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// maxComment is the longest comment nft accepts (NFTNL_UDATA_COMMENT_MAXLEN is 128 with the NUL).
const maxComment = 127

// fieldLoad says where a packet field comes from and how long it is.
type fieldLoad struct {
	meta    expr.MetaKey // meta load when set
	base    expr.PayloadBase
	offset  uint32
	len     uint32
	nfproto byte // the family the field needs (meta nfproto check in an inet table), or 0
}

var fieldLoads = map[nft.Field]fieldLoad{
	nft.IPSaddr:  {base: expr.PayloadBaseNetworkHeader, offset: 12, len: 4, nfproto: unix.NFPROTO_IPV4},
	nft.IPDaddr:  {base: expr.PayloadBaseNetworkHeader, offset: 16, len: 4, nfproto: unix.NFPROTO_IPV4},
	nft.IP6Saddr: {base: expr.PayloadBaseNetworkHeader, offset: 8, len: 16, nfproto: unix.NFPROTO_IPV6},
	nft.IP6Daddr: {base: expr.PayloadBaseNetworkHeader, offset: 24, len: 16, nfproto: unix.NFPROTO_IPV6},
	nft.L4Proto:  {meta: expr.MetaKeyL4PROTO, len: 1},
	nft.THDport:  {base: expr.PayloadBaseTransportHeader, offset: 2, len: 2},
}

// Registers: NFT_REG_1 is the first 16-byte register; concatenations use consecutive 4-byte registers from
// NFT_REG32_00 (the same storage), 16 of them.
const (
	regVerdict = unix.NFT_REG_VERDICT
	reg1       = unix.NFT_REG_1
	reg32First = unix.NFT_REG32_00
	reg32Count = 16
)

func verdictExpr(v nft.Verdict) (*expr.Verdict, error) {
	code, err := verdictCode(v)
	if err != nil {
		return nil, err
	}
	return &expr.Verdict{Kind: expr.VerdictKind(code), Chain: v.Chain}, nil
}

// encodeRule turns a model rule into expressions and userdata. setIDs holds the batch-local IDs of sets created
// in the same batch.
func encodeRule(r nft.Rule, setIDs map[string]uint32) ([]expr.Any, []byte, error) {
	var ud []byte
	if r.Comment != "" {
		if len(r.Comment) > maxComment {
			return nil, nil, fmt.Errorf("comment of %d bytes (at most %d)", len(r.Comment), maxComment)
		}
		ud = userdata.AppendString(nil, userdata.TypeComment, r.Comment)
	}
	var exprs []expr.Any
	switch r.Match {
	case nft.Always:
	case nft.CtEstablishedRelated:
		exprs = ctStateExprs(expr.CtStateBitESTABLISHED | expr.CtStateBitRELATED)
	case nft.CtNewTCPNotSYN:
		// What nft emits for `ct state new tcp flags & (fin|syn|rst|ack) != syn`: no family check (meta
		// l4proto is the same in both), the flags byte of the TCP header masked and compared.
		exprs = append(ctStateExprs(expr.CtStateBitNEW),
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{unix.IPPROTO_TCP}},
			&expr.Payload{DestRegister: reg1, Base: expr.PayloadBaseTransportHeader, Offset: tcpFlagsOffset, Len: 1},
			&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 1, Mask: []byte{tcpFlagsMask}, Xor: []byte{0}},
			&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: []byte{tcpSYN}},
		)
	case nft.ICMPv6NeighborDiscovery:
		// What nft emits for `icmpv6 type 133-137` in an inet table.
		exprs = []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{unix.NFPROTO_IPV6}},
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{unix.IPPROTO_ICMPV6}},
			&expr.Payload{DestRegister: reg1, Base: expr.PayloadBaseTransportHeader, Offset: 0, Len: 1},
			&expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: []byte{133}},
			&expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: []byte{137}},
		}
	case nft.PktTypeBroadcast, nft.PktTypeMulticast:
		pkttype := byte(unix.PACKET_BROADCAST)
		if r.Match == nft.PktTypeMulticast {
			pkttype = unix.PACKET_MULTICAST
		}
		exprs = []expr.Any{
			&expr.Meta{Key: expr.MetaKeyPKTTYPE, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{pkttype}},
		}
	case nft.IP6LinkLocal:
		load, ok := fieldLoads[onlyField(r.Fields)]
		if !ok || load.nfproto != unix.NFPROTO_IPV6 {
			return nil, nil, fmt.Errorf("link-local match needs one ip6 address field, not %v", r.Fields)
		}
		// What nft emits for `ip6 saddr fe80::/10`: a masked compare of the whole address.
		exprs = []expr.Any{
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{unix.NFPROTO_IPV6}},
			&expr.Payload{DestRegister: reg1, Base: load.base, Offset: load.offset, Len: 16},
			&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 16, Mask: linkLocalMask, Xor: make([]byte, 16)},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: linkLocalPrefix},
		}
	case nft.Lookup, nft.VerdictMap:
		loads, err := encodeLoads(r.Fields)
		if err != nil {
			return nil, nil, err
		}
		if r.Set == "" {
			return nil, nil, fmt.Errorf("lookup without a set")
		}
		lk := &expr.Lookup{SourceRegister: reg32First, SetName: r.Set, SetID: setIDs[r.Set]}
		if r.Match == nft.VerdictMap {
			lk.DestRegister, lk.IsDestRegSet = regVerdict, true
		}
		exprs = append(loads, lk)
	default:
		return nil, nil, fmt.Errorf("cannot encode match %d", r.Match)
	}
	if r.Log != nil {
		le, err := logExprs(r.Log)
		if err != nil {
			return nil, nil, err
		}
		exprs = append(exprs, le...)
	}
	if r.Counter {
		exprs = append(exprs, &expr.Counter{})
	}
	switch {
	case r.Match == nft.VerdictMap:
	case r.Verdict.Kind == 0 && r.Log != nil:
		// Log only: the packet goes on to the next rule.
	default:
		v, err := verdictExpr(r.Verdict)
		if err != nil {
			return nil, nil, err
		}
		exprs = append(exprs, v)
	}
	if len(exprs) == 0 {
		return nil, nil, fmt.Errorf("rule without a match, a log, a counter or a verdict")
	}
	return exprs, ud, nil
}

// logExprs is what nft emits for `limit rate R/second burst B packets log prefix P group G`.
func logExprs(l *nft.Log) ([]expr.Any, error) {
	if len(l.Prefix) > nft.MaxLogPrefix {
		return nil, fmt.Errorf("log prefix of %d bytes (at most %d)", len(l.Prefix), nft.MaxLogPrefix)
	}
	var exprs []expr.Any
	if l.Rate > 0 {
		exprs = append(exprs, &expr.Limit{Type: expr.LimitTypePkts, Rate: uint64(l.Rate), Unit: expr.LimitTimeSecond,
			Burst: l.Burst})
	}
	return append(exprs, &expr.Log{Key: 1<<unix.NFTA_LOG_GROUP | 1<<unix.NFTA_LOG_PREFIX, Group: l.Group,
		Data: []byte(l.Prefix)}), nil
}

// encodeLoads loads the fields into consecutive 4-byte registers, after the meta nfproto check nft adds for
// ip/ip6 fields in an inet table.
func encodeLoads(fields []nft.Field) ([]expr.Any, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("lookup without fields")
	}
	var exprs []expr.Any
	var family byte
	for _, f := range fields {
		l, ok := fieldLoads[f]
		if !ok {
			return nil, fmt.Errorf("unknown field %v", f)
		}
		if l.nfproto != 0 {
			if family != 0 && family != l.nfproto {
				return nil, fmt.Errorf("fields %v mix IPv4 and IPv6", fields)
			}
			family = l.nfproto
		}
	}
	if family != 0 {
		exprs = append(exprs,
			&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: reg1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{family}})
	}
	slot := uint32(0)
	for _, f := range fields {
		l := fieldLoads[f]
		if slot+(l.len+3)/4 > reg32Count {
			return nil, fmt.Errorf("fields %v do not fit in the registers", fields)
		}
		reg := reg32First + slot
		if l.meta != 0 {
			exprs = append(exprs, &expr.Meta{Key: l.meta, Register: reg})
		} else {
			exprs = append(exprs, &expr.Payload{DestRegister: reg, Base: l.base, Offset: l.offset, Len: l.len})
		}
		slot += (l.len + 3) / 4
	}
	return exprs, nil
}

// ctStateExprs is what nft emits for `ct state S1,S2…`: the state bits masked, compared with zero.
func ctStateExprs(bits uint32) []expr.Any {
	return []expr.Any{
		&expr.Ct{Register: reg1, Key: expr.CtKeySTATE},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: hostU32(bits), Xor: hostU32(0)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: hostU32(0)},
	}
}

// The TCP flags byte (offset 13 of the header) and the flags `tcp flags != syn / fin,syn,rst,ack` looks at:
// ECE, CWR, PSH and URG do not matter, so a SYN with ECN bits is still a SYN.
const (
	tcpFlagsOffset = 13
	tcpFIN         = 0x01
	tcpSYN         = 0x02
	tcpRST         = 0x04
	tcpACK         = 0x10
	tcpFlagsMask   = tcpFIN | tcpSYN | tcpRST | tcpACK
)

// fe80::/10 as a mask and the masked value.
var (
	linkLocalMask   = []byte{0xff, 0xc0, 15: 0}
	linkLocalPrefix = []byte{0xfe, 0x80, 15: 0}
)

func onlyField(fs []nft.Field) nft.Field {
	if len(fs) != 1 {
		return 0
	}
	return fs[0]
}

func hostU32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// addRules queues the rules of ch, appended in order.
func (b *batch) addRules(ch *nft.Chain, setIDs map[string]uint32) error {
	lc := &nftables.Chain{Name: ch.Name, Table: b.table}
	for i, r := range ch.Rules {
		label := fmt.Sprintf("add rule %s %s (rule %d: %s)", tableLabel(), ch.Name, i+1, r.String())
		exprs, ud, err := encodeRule(r, setIDs)
		if err != nil {
			return fmt.Errorf("%s: %w", label, err)
		}
		if err := b.viaLib(label, func(c *nftables.Conn) {
			c.AddRule(&nftables.Rule{Table: b.table, Chain: lc, Exprs: exprs, UserData: ud})
		}); err != nil {
			return err
		}
	}
	return nil
}

package kernel

import (
	"bytes"
	"fmt"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// Rules are decoded against a closed list of expressions and of their attributes: anything else (a counter, a
// checksum option, an inverted lookup, an expression the library would silently skip) makes the rule Unknown.
var exprAttrs = map[string][]uint16{
	"meta":      {unix.NFTA_META_DREG, unix.NFTA_META_KEY},
	"cmp":       {unix.NFTA_CMP_SREG, unix.NFTA_CMP_OP, unix.NFTA_CMP_DATA},
	"payload":   {unix.NFTA_PAYLOAD_DREG, unix.NFTA_PAYLOAD_BASE, unix.NFTA_PAYLOAD_OFFSET, unix.NFTA_PAYLOAD_LEN},
	"lookup":    {unix.NFTA_LOOKUP_SET, unix.NFTA_LOOKUP_SREG, unix.NFTA_LOOKUP_DREG, unix.NFTA_LOOKUP_SET_ID, unix.NFTA_LOOKUP_FLAGS},
	"ct":        {unix.NFTA_CT_DREG, unix.NFTA_CT_KEY},
	"bitwise":   {unix.NFTA_BITWISE_SREG, unix.NFTA_BITWISE_DREG, unix.NFTA_BITWISE_LEN, unix.NFTA_BITWISE_MASK, unix.NFTA_BITWISE_XOR, nftaBitwiseOp},
	"range":     {unix.NFTA_RANGE_SREG, unix.NFTA_RANGE_OP, unix.NFTA_RANGE_FROM_DATA, unix.NFTA_RANGE_TO_DATA},
	"immediate": {unix.NFTA_IMMEDIATE_DREG, unix.NFTA_IMMEDIATE_DATA},
	"byteorder": {unix.NFTA_BYTEORDER_SREG, unix.NFTA_BYTEORDER_DREG, unix.NFTA_BYTEORDER_OP, unix.NFTA_BYTEORDER_LEN, unix.NFTA_BYTEORDER_SIZE},
	"counter":   {unix.NFTA_COUNTER_BYTES, unix.NFTA_COUNTER_PACKETS, unix.NFTA_COUNTER_PAD},
	"log":       {unix.NFTA_LOG_GROUP, unix.NFTA_LOG_PREFIX},
	"limit":     {unix.NFTA_LIMIT_RATE, unix.NFTA_LIMIT_UNIT, unix.NFTA_LIMIT_BURST, unix.NFTA_LIMIT_TYPE, unix.NFTA_LIMIT_FLAGS, unix.NFTA_LIMIT_PAD},
}

// Attributes that must be zero when present.
var zeroAttrs = map[string]uint16{"lookup": unix.NFTA_LOOKUP_FLAGS, "bitwise": nftaBitwiseOp, "limit": unix.NFTA_LIMIT_FLAGS}

func newExpr(name string) expr.Any {
	switch name {
	case "meta":
		return &expr.Meta{}
	case "cmp":
		return &expr.Cmp{}
	case "payload":
		return &expr.Payload{}
	case "lookup":
		return &expr.Lookup{}
	case "ct":
		return &expr.Ct{}
	case "bitwise":
		return &expr.Bitwise{}
	case "range":
		return &expr.Range{}
	case "immediate":
		return &expr.Immediate{}
	case "byteorder":
		return &expr.Byteorder{}
	case "counter":
		return &expr.Counter{}
	case "log":
		return &expr.Log{}
	case "limit":
		return &expr.Limit{}
	}
	return nil
}

// decodeExprs parses NFTA_RULE_EXPRESSIONS; ok is false when an expression is outside the closed list.
func decodeExprs(b []byte) (exprs []expr.Any, ok bool, err error) {
	list, err := parseAttrs(b)
	if err != nil {
		return nil, false, err
	}
	for _, el := range list {
		m, err := attrMap(el.data)
		if err != nil {
			return nil, false, err
		}
		name := attrString(m[unix.NFTA_EXPR_NAME])
		data := m[unix.NFTA_EXPR_DATA]
		e := newExpr(name)
		if e == nil || !knownAttrs(name, data) {
			return nil, false, nil
		}
		if bo, isBO := e.(*expr.Byteorder); isBO {
			// The library cannot unmarshal byteorder ("not yet implemented").
			if !decodeByteorder(data, bo) {
				return nil, false, nil
			}
			exprs = append(exprs, bo)
			continue
		}
		if err := expr.Unmarshal(unix.NFPROTO_INET, data, e); err != nil {
			return nil, false, fmt.Errorf("%s expression: %w", name, err)
		}
		if imm, isImm := e.(*expr.Immediate); isImm {
			if imm.Register != regVerdict {
				return nil, false, nil
			}
			v := &expr.Verdict{}
			if err := expr.Unmarshal(unix.NFPROTO_INET, data, v); err != nil {
				return nil, false, fmt.Errorf("verdict: %w", err)
			}
			e = v
		}
		exprs = append(exprs, e)
	}
	return exprs, true, nil
}

func decodeByteorder(data []byte, bo *expr.Byteorder) bool {
	m, err := attrMap(data)
	if err != nil {
		return false
	}
	var ok [5]bool
	bo.SourceRegister, ok[0] = attrU32(m[unix.NFTA_BYTEORDER_SREG])
	bo.DestRegister, ok[1] = attrU32(m[unix.NFTA_BYTEORDER_DREG])
	var op uint32
	op, ok[2] = attrU32(m[unix.NFTA_BYTEORDER_OP])
	bo.Op = expr.ByteorderOp(op)
	bo.Len, ok[3] = attrU32(m[unix.NFTA_BYTEORDER_LEN])
	bo.Size, ok[4] = attrU32(m[unix.NFTA_BYTEORDER_SIZE])
	return ok == [5]bool{true, true, true, true, true}
}

func knownAttrs(name string, data []byte) bool {
	as, err := parseAttrs(data)
	if err != nil {
		return false
	}
	for _, a := range as {
		found := false
		for _, t := range exprAttrs[name] {
			found = found || t == a.typ
		}
		if !found {
			return false
		}
		if z, ok := zeroAttrs[name]; ok && z == a.typ {
			if v, ok := attrU32(a.data); !ok || v != 0 {
				return false
			}
		}
	}
	return true
}

// decodeRule maps a rule's expressions and userdata to the model, or to Unknown. counter holds the values of
// the rule's counter (nil when it has none).
func decodeRule(exprs []expr.Any, ud []byte) (r nft.Rule, counter *expr.Counter) {
	comment, ok := decodeComment(ud)
	unknown := nft.Rule{Match: nft.Unknown, Comment: comment}
	if !ok || len(exprs) == 0 {
		return unknown, nil
	}
	body, last := exprs[:len(exprs)-1], exprs[len(exprs)-1]
	if lk, isLookup := last.(*expr.Lookup); isLookup {
		fields, ok := matchLookup(body, lk, true)
		if !ok {
			return unknown, nil
		}
		return nft.Rule{Match: nft.VerdictMap, Fields: fields, Set: lk.SetName, Comment: comment}, nil
	}
	r = nft.Rule{Comment: comment}
	if v, isVerdict := last.(*expr.Verdict); isVerdict {
		verdict, err := verdictOf(int32(v.Kind), v.Chain)
		if err != nil {
			return unknown, nil
		}
		r.Verdict = verdict
	} else {
		body = exprs
	}
	body, r.Counter, counter = peelCounter(body)
	body, r.Log = peelLog(body)
	if r.Log == nil && r.Verdict.Kind == 0 {
		return unknown, nil
	}
	switch {
	case len(body) == 0:
		r.Match = nft.Always
	case len(body) == 3 && matchCtState(body, expr.CtStateBitESTABLISHED|expr.CtStateBitRELATED):
		r.Match = nft.CtEstablishedRelated
	case matchCtNewTCPNotSYN(body):
		r.Match = nft.CtNewTCPNotSYN
	case matchICMPv6ND(body):
		r.Match = nft.ICMPv6NeighborDiscovery
	case matchPktType(body, unix.PACKET_BROADCAST):
		r.Match = nft.PktTypeBroadcast
	case matchPktType(body, unix.PACKET_MULTICAST):
		r.Match = nft.PktTypeMulticast
	case matchLinkLocal(body) != 0:
		r.Match, r.Fields = nft.IP6LinkLocal, []nft.Field{matchLinkLocal(body)}
	default:
		lk, isLookup := body[len(body)-1].(*expr.Lookup)
		if !isLookup {
			return unknown, nil
		}
		fields, ok := matchLookup(body[:len(body)-1], lk, false)
		if !ok {
			return unknown, nil
		}
		r.Match, r.Fields, r.Set = nft.Lookup, fields, lk.SetName
	}
	return r, counter
}

// peelCounter takes a trailing counter off body.
func peelCounter(body []expr.Any) ([]expr.Any, bool, *expr.Counter) {
	if n := len(body); n > 0 {
		if c, ok := body[n-1].(*expr.Counter); ok {
			return body[:n-1], true, c
		}
	}
	return body, false, nil
}

// peelLog takes a trailing `log prefix P group G`, and the packet limit before it if any, off body; a log of
// any other shape (a level, flags, a snaplen) is left in body, so the rule reads as Unknown.
func peelLog(body []expr.Any) ([]expr.Any, *nft.Log) {
	n := len(body)
	if n == 0 {
		return body, nil
	}
	lg, ok := body[n-1].(*expr.Log)
	if !ok || lg.Key != 1<<unix.NFTA_LOG_GROUP|1<<unix.NFTA_LOG_PREFIX {
		return body, nil
	}
	l := &nft.Log{Group: lg.Group, Prefix: string(lg.Data)}
	body = body[:n-1]
	if n := len(body); n > 0 {
		if lim, ok := body[n-1].(*expr.Limit); ok {
			if lim.Type != expr.LimitTypePkts || lim.Over || lim.Unit != expr.LimitTimeSecond || lim.Rate == 0 ||
				lim.Rate > 1<<32-1 {
				return append(body, lg), nil
			}
			l.Rate, l.Burst = uint32(lim.Rate), lim.Burst
			body = body[:n-1]
		}
	}
	return body, l
}

// decodeComment reads nft's rule userdata: TLVs of one type byte and one length byte; type 0 is the comment.
func decodeComment(ud []byte) (string, bool) {
	comment := ""
	for len(ud) > 0 {
		if len(ud) < 2 || len(ud) < 2+int(ud[1]) {
			return "", false
		}
		typ, val := ud[0], ud[2:2+int(ud[1])]
		if typ == 0 {
			comment = string(bytes.TrimSuffix(val, []byte{0}))
		}
		ud = ud[2+int(ud[1]):]
	}
	return comment, true
}

// regSlot maps a register number to its 4-byte slot: NFT_REG_1..4 are 16 bytes each, NFT_REG32_00..15 are 4.
func regSlot(r uint32) (uint32, bool) {
	switch {
	case r >= unix.NFT_REG_1 && r <= unix.NFT_REG_4:
		return (r - unix.NFT_REG_1) * 4, true
	case r >= reg32First && r < reg32First+reg32Count:
		return r - reg32First, true
	}
	return 0, false
}

func sameReg(a, b uint32) bool {
	sa, oka := regSlot(a)
	sb, okb := regSlot(b)
	return oka && okb && sa == sb
}

// isCmp reports whether e is `cmp op reg value`.
func isCmp(e expr.Any, op expr.CmpOp, reg uint32, value []byte) bool {
	c, ok := e.(*expr.Cmp)
	return ok && c.Op == op && sameReg(c.Register, reg) && bytes.Equal(c.Data, value)
}

// metaLoad returns the register of `meta load key`.
func metaLoad(e expr.Any, key expr.MetaKey) (uint32, bool) {
	m, ok := e.(*expr.Meta)
	if !ok || m.SourceRegister || m.Key != key {
		return 0, false
	}
	_, ok = regSlot(m.Register)
	return m.Register, ok
}

// matchNFProto matches `meta nfproto FAMILY` at the start of body and returns the family (0 if absent) and the
// rest of body.
func matchNFProto(body []expr.Any) (byte, []expr.Any) {
	if len(body) < 2 {
		return 0, body
	}
	reg, ok := metaLoad(body[0], expr.MetaKeyNFPROTO)
	c, isCmp := body[1].(*expr.Cmp)
	if !ok || !isCmp || c.Op != expr.CmpOpEq || !sameReg(c.Register, reg) || len(c.Data) != 1 {
		return 0, body
	}
	return c.Data[0], body[2:]
}

// matchCtState matches `ct state S1,S2…` with exactly the state bits given, at the start of body (3
// expressions).
func matchCtState(body []expr.Any, bits uint32) bool {
	if len(body) < 3 {
		return false
	}
	ct, ok := body[0].(*expr.Ct)
	if !ok || ct.SourceRegister || ct.Key != expr.CtKeySTATE {
		return false
	}
	bw, ok := body[1].(*expr.Bitwise)
	return ok && sameReg(bw.SourceRegister, ct.Register) && sameReg(bw.DestRegister, ct.Register) && bw.Len == 4 &&
		bytes.Equal(bw.Mask, hostU32(bits)) && bytes.Equal(bw.Xor, hostU32(0)) &&
		isCmp(body[2], expr.CmpOpNeq, ct.Register, hostU32(0))
}

// matchCtNewTCPNotSYN matches `ct state new tcp flags != syn / fin,syn,rst,ack` as nft emits it.
func matchCtNewTCPNotSYN(body []expr.Any) bool {
	if len(body) != 8 || !matchCtState(body, expr.CtStateBitNEW) {
		return false
	}
	body = body[3:]
	reg, ok := metaLoad(body[0], expr.MetaKeyL4PROTO)
	if !ok || !isCmp(body[1], expr.CmpOpEq, reg, []byte{unix.IPPROTO_TCP}) {
		return false
	}
	p, ok := body[2].(*expr.Payload)
	if !ok || p.OperationType != expr.PayloadLoad || p.CsumType != 0 || p.Base != expr.PayloadBaseTransportHeader ||
		p.Offset != tcpFlagsOffset || p.Len != 1 {
		return false
	}
	bw, ok := body[3].(*expr.Bitwise)
	return ok && sameReg(bw.SourceRegister, p.DestRegister) && sameReg(bw.DestRegister, p.DestRegister) &&
		bw.Len == 1 && bytes.Equal(bw.Mask, []byte{tcpFlagsMask}) && bytes.Equal(bw.Xor, []byte{0}) &&
		isCmp(body[4], expr.CmpOpNeq, p.DestRegister, []byte{tcpSYN})
}

// matchICMPv6ND matches `[meta nfproto ipv6] meta l4proto ipv6-icmp icmpv6 type 133-137`, with the type range
// as nft writes it (cmp gte + cmp lte) or as one range expression.
func matchICMPv6ND(body []expr.Any) bool {
	family, body := matchNFProto(body)
	if (family != 0 && family != unix.NFPROTO_IPV6) || len(body) < 4 {
		return false
	}
	reg, ok := metaLoad(body[0], expr.MetaKeyL4PROTO)
	if !ok || !isCmp(body[1], expr.CmpOpEq, reg, []byte{unix.IPPROTO_ICMPV6}) {
		return false
	}
	p, ok := body[2].(*expr.Payload)
	if !ok || p.OperationType != expr.PayloadLoad || p.CsumType != 0 || p.Base != expr.PayloadBaseTransportHeader ||
		p.Offset != 0 || p.Len != 1 {
		return false
	}
	rest := body[3:]
	if len(rest) == 1 {
		r, ok := rest[0].(*expr.Range)
		return ok && r.Op == expr.CmpOpEq && sameReg(r.Register, p.DestRegister) &&
			bytes.Equal(r.FromData, []byte{133}) && bytes.Equal(r.ToData, []byte{137})
	}
	return len(rest) == 2 && isCmp(rest[0], expr.CmpOpGte, p.DestRegister, []byte{133}) &&
		isCmp(rest[1], expr.CmpOpLte, p.DestRegister, []byte{137})
}

// matchLookup matches `[meta nfproto F] load field... lookup @set` (with a verdict destination for a vmap): the
// fields loaded into consecutive 4-byte slots from the lookup's source register, the family check present
// exactly when an ip/ip6 field is.
func matchLookup(body []expr.Any, lk *expr.Lookup, vmap bool) ([]nft.Field, bool) {
	if lk.Invert || lk.SetName == "" || lk.IsDestRegSet != vmap || (vmap && lk.DestRegister != regVerdict) {
		return nil, false
	}
	slot, ok := regSlot(lk.SourceRegister)
	if !ok {
		return nil, false
	}
	family, body := matchNFProto(body)
	var fields []nft.Field
	var lastReg uint32
	var need byte
	for _, e := range body {
		if bo, isBO := e.(*expr.Byteorder); isBO {
			// nft converts meta l4proto in concatenated interval lookups with a byteorder that has nothing to
			// do on one byte (len < size): accept exactly that no-op.
			if len(fields) == 0 || !sameReg(bo.SourceRegister, lastReg) || !sameReg(bo.DestRegister, lastReg) ||
				!(bo.Size == 2 || bo.Size == 4 || bo.Size == 8) || bo.Len >= bo.Size {
				return nil, false
			}
			continue
		}
		f, reg, ok := fieldOf(e)
		if !ok {
			return nil, false
		}
		if s, _ := regSlot(reg); s != slot {
			return nil, false
		}
		l := fieldLoads[f]
		if l.nfproto != 0 {
			if need != 0 && need != l.nfproto {
				return nil, false
			}
			need = l.nfproto
		}
		fields = append(fields, f)
		lastReg = reg
		slot += (l.len + 3) / 4
	}
	if len(fields) == 0 || family != need || slot > reg32Count {
		return nil, false
	}
	return fields, true
}

// fieldOf recognises the load of one packet field and returns the register it goes to.
func fieldOf(e expr.Any) (nft.Field, uint32, bool) {
	switch e := e.(type) {
	case *expr.Meta:
		if reg, ok := metaLoad(e, expr.MetaKeyL4PROTO); ok {
			return nft.L4Proto, reg, true
		}
	case *expr.Payload:
		if e.OperationType != expr.PayloadLoad || e.CsumType != 0 {
			return 0, 0, false
		}
		for f, l := range fieldLoads {
			if l.meta == 0 && l.base == e.Base && l.offset == e.Offset && l.len == e.Len {
				return f, e.DestRegister, true
			}
		}
	}
	return 0, 0, false
}

// matchPktType matches `meta pkttype TYPE`.
func matchPktType(body []expr.Any, pkttype byte) bool {
	if len(body) != 2 {
		return false
	}
	reg, ok := metaLoad(body[0], expr.MetaKeyPKTTYPE)
	return ok && isCmp(body[1], expr.CmpOpEq, reg, []byte{pkttype})
}

// matchLinkLocal matches `ip6 saddr|daddr fe80::/10` and returns the field, or 0.
func matchLinkLocal(body []expr.Any) nft.Field {
	family, body := matchNFProto(body)
	if family != unix.NFPROTO_IPV6 || len(body) != 3 {
		return 0
	}
	p, ok := body[0].(*expr.Payload)
	if !ok || p.OperationType != expr.PayloadLoad || p.CsumType != 0 || p.Base != expr.PayloadBaseNetworkHeader ||
		p.Len != 16 {
		return 0
	}
	field := nft.IP6Saddr
	switch p.Offset {
	case fieldLoads[nft.IP6Saddr].offset:
	case fieldLoads[nft.IP6Daddr].offset:
		field = nft.IP6Daddr
	default:
		return 0
	}
	bw, ok := body[1].(*expr.Bitwise)
	if !ok || !sameReg(bw.SourceRegister, p.DestRegister) || !sameReg(bw.DestRegister, p.DestRegister) ||
		bw.Len != 16 || !bytes.Equal(bw.Mask, linkLocalMask) || !bytes.Equal(bw.Xor, make([]byte, 16)) ||
		!isCmp(body[2], expr.CmpOpEq, p.DestRegister, linkLocalPrefix) {
		return 0
	}
	return field
}

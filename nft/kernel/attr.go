package kernel

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Netlink attribute helpers for the messages this package builds and parses itself (set elements, dumps).
// Attribute headers are in host byte order; nftables payloads are big endian.

// Attribute and flag numbers that golang.org/x/sys/unix does not define.
const (
	nftaSetElemKeyEnd  = 10 // NFTA_SET_ELEM_KEY_END
	nftaSetExpr        = 17 // NFTA_SET_EXPR
	nftaSetExpressions = 18 // NFTA_SET_EXPRESSIONS
	nftaChainFlags     = 10 // NFTA_CHAIN_FLAGS
	nftSetConcat       = 0x80
	nftChainBinding    = 0x4 // NFT_CHAIN_BINDING
	nftaBitwiseOp      = 6   // NFTA_BITWISE_OP
	nftChainBase       = 0x1 // NFT_CHAIN_BASE
	nfDrop             = 0   // NF_DROP
	nfAccept           = 1   // NF_ACCEPT

	// Set element userdata (libnftnl udata.h): NFTNL_UDATA_SET_ELEM_FLAGS carrying
	// NFTNL_SET_ELEM_F_INTERVAL_OPEN marks an interval that runs to the top of the key space.
	udataSetElemFlags        = 1
	udataSetElemIntervalOpen = 1
)

func align4(n int) int { return (n + 3) &^ 3 }

// appendAttr appends one attribute.
func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := 4 + len(data)
	b = binary.NativeEndian.AppendUint16(b, uint16(l))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, data...)
	for i := l; i < align4(l); i++ {
		b = append(b, 0)
	}
	return b
}

// appendNested appends a nested attribute whose content fill appends. The content must stay below 64 KiB: the
// attribute length is 16 bits (exceeding it is how the library silently truncates long element lists).
func appendNested(b []byte, typ uint16, fill func([]byte) []byte) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0)
	b = fill(b)
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	binary.NativeEndian.PutUint16(b[start+2:], typ|unix.NLA_F_NESTED)
	return b
}

func strz(s string) []byte { return append([]byte(s), 0) }

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// attr is one parsed attribute.
type attr struct {
	typ  uint16 // without the nested/byte-order flags
	data []byte
}

// parseAttrs splits b into attributes.
func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, fmt.Errorf("truncated attribute header (%d bytes)", len(b))
		}
		l := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) &^ (unix.NLA_F_NESTED | unix.NLA_F_NET_BYTEORDER)
		if l < 4 || l > len(b) {
			return nil, fmt.Errorf("bad attribute length %d (%d bytes left)", l, len(b))
		}
		out = append(out, attr{typ: typ, data: b[4:l]})
		if a := align4(l); a < len(b) {
			b = b[a:]
		} else {
			b = nil
		}
	}
	return out, nil
}

// attrMap indexes attributes by type (the last one wins).
func attrMap(b []byte) (map[uint16][]byte, error) {
	as, err := parseAttrs(b)
	if err != nil {
		return nil, err
	}
	m := make(map[uint16][]byte, len(as))
	for _, a := range as {
		m[a.typ] = a.data
	}
	return m, nil
}

func attrString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func attrU32(b []byte) (uint32, bool) {
	if len(b) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(b), true
}

// dataValue returns the NFTA_DATA_VALUE inside a nested nft_data attribute.
func dataValue(b []byte) ([]byte, bool) {
	m, err := attrMap(b)
	if err != nil {
		return nil, false
	}
	v, ok := m[unix.NFTA_DATA_VALUE]
	return v, ok
}

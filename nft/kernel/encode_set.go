package kernel

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// Element lists are split into messages of at most maxChunkElems elements and maxChunkBytes of encoded
// elements: the list is one netlink attribute with a 16-bit length, and the library's own SetAddElements
// overflows it (silently losing elements) above ~2,047 elements of a 12-byte key. All chunks stay in the
// same batch, so the transaction is still atomic.
const (
	maxChunkElems = 1000
	maxChunkBytes = 60000
)

// keyTypes maps the model's key types to nft's datatypes.
var keyTypes = map[nft.KeyType]nftables.SetDatatype{
	nft.IPv4Addr:    nftables.TypeIPAddr,
	nft.IPv6Addr:    nftables.TypeIP6Addr,
	nft.InetProto:   nftables.TypeInetProto,
	nft.InetService: nftables.TypeInetService,
}

// libSet describes s for the library. Like nft, only concatenated interval sets carry the concat flag and the
// field lengths (the kernel then picks its pipapo backend); single-field interval sets get rbtree, the rest hash.
func libSet(s *nft.Set, table *nftables.Table) (*nftables.Set, error) {
	if len(s.Key) == 0 {
		return nil, fmt.Errorf("empty key")
	}
	types := make([]nftables.SetDatatype, len(s.Key))
	for i, k := range s.Key {
		dt, ok := keyTypes[k]
		if !ok {
			return nil, fmt.Errorf("unknown key type %v", k)
		}
		types[i] = dt
	}
	kt := types[0]
	if len(types) > 1 {
		var err error
		if kt, err = nftables.ConcatSetType(types...); err != nil {
			return nil, err
		}
	}
	ls := &nftables.Set{
		Table: table, Name: s.Name, KeyType: kt, Interval: s.Interval, IsMap: s.Map,
		Concatenation: s.Interval && len(s.Key) > 1,
	}
	if s.Map {
		ls.DataType = nftables.TypeVerdict
	}
	return ls, nil
}

// addSet queues the creation of s (without elements) and returns the set's batch-local ID.
func (b *batch) addSet(s *nft.Set) (uint32, error) {
	label := "add set " + tableLabel() + " " + s.Name
	ls, err := libSet(s, b.table)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", label, err)
	}
	// IDs only need to be unique within the batch; setting one keeps the library off its global counter
	// (unsynchronised between Conns).
	b.setID++
	ls.ID = b.setID
	var aerr error
	if err := b.viaLib(label, func(c *nftables.Conn) { aerr = c.AddSet(ls, nil) }); err != nil {
		return 0, err
	}
	if aerr != nil {
		return 0, fmt.Errorf("%s: %w", label, aerr)
	}
	return ls.ID, nil
}

// kelem is one kernel set element: an rbtree interval is two of them (start, and end flagged INTERVAL_END).
type kelem struct {
	key, keyEnd []byte
	end         bool // NFT_SET_ELEM_INTERVAL_END
	open        bool // interval runs to the top of the key space (no end element)
	verdict     *nft.Verdict
}

// encodeElements turns model elements into kernel elements. For deletion, data and userdata are left out.
func encodeElements(s *nft.Set, es []nft.Element, del bool) ([]kelem, error) {
	rbtree := s.Interval && len(s.Key) == 1
	out := make([]kelem, 0, len(es))
	for _, e := range es {
		if err := checkCanonical(s, e); err != nil {
			return nil, fmt.Errorf("element %s: %w", nft.ElementText(s, e), err)
		}
		first, err := elemKey(s, e, false)
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", nft.ElementText(s, e), err)
		}
		k := kelem{key: first}
		if s.Map && !del {
			v := e.Verdict
			if _, err := verdictCode(v); err != nil {
				return nil, fmt.Errorf("element %s: %w", nft.ElementText(s, e), err)
			}
			k.verdict = &v
		}
		if !s.Interval {
			out = append(out, k)
			continue
		}
		last, err := elemKey(s, e, true)
		if err != nil {
			return nil, fmt.Errorf("element %s: %w", nft.ElementText(s, e), err)
		}
		if !rbtree {
			k.keyEnd = last
			out = append(out, k)
			continue
		}
		end, ok := increment(last)
		k.open = !ok && !del
		out = append(out, k)
		if ok {
			out = append(out, kelem{key: end, end: true})
		}
	}
	return out, nil
}

// checkCanonical rejects elements that would not read back as themselves: fields the key does not have must be
// zero, exact sets hold single values, ranges do not end before they start, only maps have verdicts.
func checkCanonical(s *nft.Set, e nft.Element) error {
	var addr, proto, port bool
	for _, k := range s.Key {
		addr = addr || k == nft.IPv4Addr || k == nft.IPv6Addr
		proto = proto || k == nft.InetProto
		port = port || k == nft.InetService
	}
	switch {
	case !addr && (e.Addr.IsValid() || e.AddrLast.IsValid()):
		return fmt.Errorf("address in a set without an address field")
	case !proto && e.Proto != 0:
		return fmt.Errorf("protocol in a set without a protocol field")
	case !port && (e.Port != 0 || e.PortLast != 0):
		return fmt.Errorf("port in a set without a port field")
	case !s.Interval && (e.AddrLast != e.Addr || e.PortLast != e.Port):
		return fmt.Errorf("range in a set without flags interval")
	case e.AddrLast.Less(e.Addr) || e.PortLast < e.Port:
		return fmt.Errorf("range ends before it starts")
	case !s.Map && e.Verdict != (nft.Verdict{}):
		return fmt.Errorf("verdict in a set that is not a map")
	}
	return nil
}

// elemKey encodes the first (or last) value of every key field. Concatenated fields are padded to 4 bytes, as
// the kernel lays them out in consecutive registers.
func elemKey(s *nft.Set, e nft.Element, last bool) ([]byte, error) {
	concat := len(s.Key) > 1
	var b []byte
	for _, k := range s.Key {
		start := len(b)
		switch k {
		case nft.IPv4Addr, nft.IPv6Addr:
			a := e.Addr
			if last && s.Interval {
				a = e.AddrLast
			}
			switch {
			case k == nft.IPv4Addr && a.Is4():
				v := a.As4()
				b = append(b, v[:]...)
			case k == nft.IPv6Addr && a.Is6():
				v := a.As16()
				b = append(b, v[:]...)
			default:
				return nil, fmt.Errorf("address %v is not an %v", a, k)
			}
		case nft.InetProto:
			b = append(b, e.Proto)
		case nft.InetService:
			p := e.Port
			if last && s.Interval {
				p = e.PortLast
			}
			b = binary.BigEndian.AppendUint16(b, p)
		default:
			return nil, fmt.Errorf("unknown key type %v", k)
		}
		if concat {
			for len(b)-start < align4(len(b)-start) {
				b = append(b, 0)
			}
		}
	}
	return b, nil
}

// increment returns k+1 as a big-endian number; ok is false when k is the top of its space.
func increment(k []byte) ([]byte, bool) {
	out := append([]byte(nil), k...)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			return out, true
		}
	}
	return nil, false
}

func verdictCode(v nft.Verdict) (int32, error) {
	switch v.Kind {
	case nft.Accept:
		return nfAccept, nil
	case nft.Drop:
		return nfDrop, nil
	case nft.Return:
		return unix.NFT_RETURN, nil
	case nft.Jump, nft.Goto:
		if v.Chain == "" {
			return 0, fmt.Errorf("%v without a chain", v)
		}
		if v.Kind == nft.Jump {
			return unix.NFT_JUMP, nil
		}
		return unix.NFT_GOTO, nil
	}
	return 0, fmt.Errorf("unknown verdict %v", v)
}

// elemSizeHint is about the encoded size of an element like e (to size buffers).
func elemSizeHint(e *kelem) int {
	n := 64 + 2*len(e.key)
	if e.verdict != nil {
		n += len(e.verdict.Chain)
	}
	return n
}

func appendElem(b []byte, e *kelem) []byte {
	return appendNested(b, unix.NFTA_LIST_ELEM, func(b []byte) []byte {
		if e.end {
			b = appendAttr(b, unix.NFTA_SET_ELEM_FLAGS, be32(unix.NFT_SET_ELEM_INTERVAL_END))
		}
		b = appendNested(b, unix.NFTA_SET_ELEM_KEY, func(b []byte) []byte {
			return appendAttr(b, unix.NFTA_DATA_VALUE, e.key)
		})
		if e.keyEnd != nil {
			b = appendNested(b, nftaSetElemKeyEnd, func(b []byte) []byte {
				return appendAttr(b, unix.NFTA_DATA_VALUE, e.keyEnd)
			})
		}
		if v := e.verdict; v != nil {
			code, _ := verdictCode(*v)
			b = appendNested(b, unix.NFTA_SET_ELEM_DATA, func(b []byte) []byte {
				return appendNested(b, unix.NFTA_DATA_VERDICT, func(b []byte) []byte {
					b = appendAttr(b, unix.NFTA_VERDICT_CODE, be32(uint32(code)))
					if v.Chain != "" {
						b = appendAttr(b, unix.NFTA_VERDICT_CHAIN, strz(v.Chain))
					}
					return b
				})
			})
		}
		if e.open {
			ud := []byte{udataSetElemFlags, 4}
			b = appendAttr(b, unix.NFTA_SET_ELEM_USERDATA, binary.NativeEndian.AppendUint32(ud, udataSetElemIntervalOpen))
		}
		return b
	})
}

// elements queues the addition (or deletion) of es to set s, in as many messages as needed. setID is the
// batch-local ID of a set created in the same batch, or 0.
func (b *batch) elements(s *nft.Set, setID uint32, es []nft.Element, del bool) error {
	verb, msgType, flags := "add", uint16(unix.NFT_MSG_NEWSETELEM), netlink.Create
	if del {
		verb, msgType, flags = "delete", unix.NFT_MSG_DELSETELEM, 0
	}
	ks, err := encodeElements(s, es, del)
	if err != nil {
		return fmt.Errorf("%s element %s %s: %w", verb, tableLabel(), s.Name, err)
	}
	for start := 0; start < len(ks); {
		payload := make([]byte, 0, min(maxChunkBytes+1024, (len(ks)-start)*elemSizeHint(&ks[start])))
		n := 0
		for start+n < len(ks) && n < maxChunkElems {
			mark := len(payload)
			payload = appendElem(payload, &ks[start+n])
			if len(payload) > maxChunkBytes {
				payload = payload[:mark]
				break
			}
			n++
		}
		if n == 0 {
			return fmt.Errorf("%s element %s %s: element too large", verb, tableLabel(), s.Name)
		}
		data := nfgenmsg(unix.NFPROTO_INET, 0)
		data = appendAttr(data, unix.NFTA_SET_ELEM_LIST_TABLE, strz(nft.TableName))
		data = appendAttr(data, unix.NFTA_SET_ELEM_LIST_SET, strz(s.Name))
		if setID != 0 {
			data = appendAttr(data, unix.NFTA_SET_ELEM_LIST_SET_ID, be32(setID))
		}
		data = appendNested(data, unix.NFTA_SET_ELEM_LIST_ELEMENTS, func(b []byte) []byte { return append(b, payload...) })
		b.add(message{
			typ: msgType, flags: flags, data: data,
			label: fmt.Sprintf("%s element %s %s (kernel elements %d-%d of %d)", verb, tableLabel(), s.Name,
				start+1, start+n, len(ks)),
		})
		start += n
	}
	return nil
}

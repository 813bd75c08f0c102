package listing

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/nftpolicy/nftpolicy/nft"
)

var keyTypes = map[string]nft.KeyType{
	"ipv4_addr":    nft.IPv4Addr,
	"ipv6_addr":    nft.IPv6Addr,
	"inet_proto":   nft.InetProto,
	"inet_service": nft.InetService,
}

// set reads the body of a set or map. A property nftpolicy never sets makes the set foreign: no Key and no
// elements, so it differs from every desired set, and a Note says why.
func (p *parser) set(res *Result, open line, name string, isMap bool) (*nft.Set, error) {
	s := &nft.Set{Name: name, Map: isMap}
	obj := "set " + name
	if isMap {
		obj = "map " + name
	}
	foreign := false
	note := func(l line, text string) {
		res.Notes = append(res.Notes, Note{Line: l.n, Object: obj, Text: text})
	}
	var elems []line // the elements' lines, read once the key is known
	for {
		if p.done() {
			return nil, fmt.Errorf("line %d: %s: %w", open.n, obj, errEOF)
		}
		l := p.next()
		switch {
		case l.text == "}":
			if s.Key == nil && !foreign {
				foreign = true
				note(open, "no type")
			}
			if !foreign {
				for _, e := range splitElements(elems) {
					if el, ok := parseElement(s, e.text); ok {
						s.Elements = append(s.Elements, el)
					} else {
						note(e, "element "+e.text)
					}
				}
				nft.SortElements(s.Elements)
			}
			if foreign {
				s.Key, s.Elements = nil, nil
			}
			return s, nil
		case strings.HasPrefix(l.text, "type ") && s.Key == nil:
			if key, ok := parseKey(strings.TrimPrefix(l.text, "type "), isMap); ok {
				s.Key = key
			} else {
				foreign = true
				note(l, l.text)
			}
		case l.text == "flags interval":
			s.Interval = true
		case strings.HasPrefix(l.text, "elements = {"):
			block, err := p.elementLines(l)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", obj, err)
			}
			elems = append(elems, block...)
		default: // typeof, other flags, timeout, size, policy, counter, comment, ...
			foreign = true
			note(l, strings.TrimSuffix(l.text, " {"))
			if err := p.skipBlock(l); err != nil {
				return nil, err
			}
		}
	}
}

// parseKey reads "ipv4_addr . inet_proto . inet_service" (with " : verdict" for a map).
func parseKey(s string, isMap bool) ([]nft.KeyType, bool) {
	if isMap {
		k, ok := strings.CutSuffix(s, " : verdict")
		if !ok {
			return nil, false
		}
		s = k
	}
	var key []nft.KeyType
	for _, f := range strings.Split(s, " . ") {
		t, ok := keyTypes[f]
		if !ok {
			return nil, false
		}
		key = append(key, t)
	}
	return key, true
}

// elementLines returns the lines of `elements = { ... }` starting at l, the braces removed, each line with the
// number it is on.
func (p *parser) elementLines(l line) ([]line, error) {
	first := line{l.n, strings.TrimPrefix(l.text, "elements = {")}
	out := []line{}
	depth := 1 + braces(first.text)
	for cur := first; ; {
		if depth <= 0 {
			cur.text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cur.text), "}"))
			return append(out, cur), nil
		}
		out = append(out, cur)
		if p.done() {
			return nil, fmt.Errorf("line %d: elements: %w", l.n, errEOF)
		}
		cur = p.next()
		depth += braces(cur.text)
	}
}

// splitElements splits element lines at commas outside quotes.
func splitElements(ls []line) []line {
	var out []line
	for _, l := range ls {
		start, quoted := 0, false
		for i, c := range l.text {
			switch {
			case c == '"':
				quoted = !quoted
			case c == ',' && !quoted:
				out = appendElement(out, l.n, l.text[start:i])
				start = i + 1
			}
		}
		out = appendElement(out, l.n, l.text[start:])
	}
	return out
}

func appendElement(out []line, n int, s string) []line {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, line{n, s})
	}
	return out
}

// parseElement reads one element of s as nft lists it: "10.0.0.0/8 . tcp . 80-90", "10.0.0.1 : jump ing-x".
func parseElement(s *nft.Set, text string) (nft.Element, bool) {
	var e nft.Element
	key := text
	if s.Map {
		k, v, ok := strings.Cut(text, " : ")
		if !ok {
			return e, false
		}
		if e.Verdict, ok = parseVerdict(strings.Fields(v)); !ok {
			return e, false
		}
		key = k
	}
	parts := strings.Split(key, " . ")
	if len(parts) != len(s.Key) {
		return e, false
	}
	sawAddr := false
	for i, t := range s.Key {
		var ok bool
		switch t {
		case nft.IPv4Addr, nft.IPv6Addr:
			var first, last netip.Addr
			first, last, ok = parseAddrRange(parts[i], t == nft.IPv4Addr)
			if ok && sawAddr && (first != e.Addr || last != e.AddrLast) {
				ok = false // a key of two addresses (the self sets) holds one address twice
			}
			e.Addr, e.AddrLast, sawAddr = first, last, true
		case nft.InetProto:
			e.Proto, ok = parseProto(parts[i])
		case nft.InetService:
			e.Port, e.PortLast, ok = parsePortRange(parts[i])
		}
		if !ok {
			return e, false
		}
	}
	if !s.Interval && (e.Addr != e.AddrLast || e.Port != e.PortLast) {
		return e, false
	}
	return e, true
}

// parseAddrRange reads an address, a prefix or a range first-last of one family.
func parseAddrRange(s string, v4 bool) (first, last netip.Addr, ok bool) {
	fam := func(a netip.Addr) bool { return a.IsValid() && a.Is4() == v4 && a.Zone() == "" }
	if a, err := netip.ParseAddr(s); err == nil {
		return a, a, fam(a)
	}
	if pf, err := netip.ParsePrefix(s); err == nil {
		if pf.Masked() != pf {
			return first, last, false
		}
		return pf.Addr(), nft.LastAddr(pf), fam(pf.Addr())
	}
	a, b, found := strings.Cut(s, "-")
	if !found {
		return first, last, false
	}
	first, err1 := netip.ParseAddr(a)
	last, err2 := netip.ParseAddr(b)
	ok = err1 == nil && err2 == nil && fam(first) && fam(last) && first.Less(last)
	return first, last, ok
}

var protoNumbers = map[string]uint8{"tcp": 6, "udp": 17, "sctp": 132}

func parseProto(s string) (uint8, bool) {
	if n, ok := protoNumbers[s]; ok {
		return n, true
	}
	n, err := strconv.ParseUint(s, 10, 8) // nft -n
	return uint8(n), err == nil
}

// parsePortRange reads a port or a range first-last.
func parsePortRange(s string) (first, last uint16, ok bool) {
	a, b, isRange := strings.Cut(s, "-")
	f, err := strconv.ParseUint(a, 10, 16)
	if err != nil {
		return 0, 0, false
	}
	if !isRange {
		return uint16(f), uint16(f), true
	}
	l, err := strconv.ParseUint(b, 10, 16)
	if err != nil || l <= f {
		return 0, 0, false
	}
	return uint16(f), uint16(l), true
}

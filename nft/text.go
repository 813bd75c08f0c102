package nft

import (
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// Text renders the table as an nft script that creates it: `nft -f` loads it into a namespace that has no
// `inet nftpolicy` table yet. Objects are written in an order in which every reference points backwards (sets,
// regular chains, verdict maps, base chains), each kind sorted by name, so the output is byte-for-byte stable.
func (t *Table) Text() string {
	var b strings.Builder
	t.WriteText(&b)
	return b.String()
}

// WriteText writes Text to w.
func (t *Table) WriteText(w io.Writer) {
	fmt.Fprintf(w, "table inet %s {\n", TableName)
	for _, s := range t.Sets {
		if !s.Map {
			writeSet(w, s)
		}
	}
	for _, c := range t.Chains {
		if c.Hook == nil {
			writeChain(w, c)
		}
	}
	for _, s := range t.Sets {
		if s.Map {
			writeSet(w, s)
		}
	}
	for _, c := range t.Chains {
		if c.Hook != nil {
			writeChain(w, c)
		}
	}
	fmt.Fprintln(w, "}")
}

func writeSet(w io.Writer, s *Set) {
	kind, data := "set", ""
	if s.Map {
		kind, data = "map", " : verdict"
	}
	fmt.Fprintf(w, "\t%s %s {\n\t\ttype %s%s\n", kind, s.Name, keyTypeText(s.Key), data)
	if s.Interval {
		fmt.Fprintln(w, "\t\tflags interval")
	}
	for i, e := range s.Elements {
		sep := ",\n\t\t\t     "
		if i == 0 {
			sep = "\t\telements = { "
		}
		fmt.Fprint(w, sep, ElementText(s, e))
	}
	if len(s.Elements) > 0 {
		fmt.Fprintln(w, " }")
	}
	fmt.Fprintln(w, "\t}")
}

func keyTypeText(key []KeyType) string {
	names := make([]string, len(key))
	for i, k := range key {
		names[i] = k.String()
	}
	return strings.Join(names, " . ")
}

func (k KeyType) String() string {
	switch k {
	case IPv4Addr:
		return "ipv4_addr"
	case IPv6Addr:
		return "ipv6_addr"
	case InetProto:
		return "inet_proto"
	case InetService:
		return "inet_service"
	}
	return fmt.Sprintf("keytype(%d)", uint8(k))
}

// ElementText renders one element of s as nft writes it.
func ElementText(s *Set, e Element) string {
	parts := make([]string, 0, len(s.Key))
	for _, k := range s.Key {
		switch k {
		case IPv4Addr, IPv6Addr:
			parts = append(parts, addrRangeText(e.Addr, e.AddrLast))
		case InetProto:
			parts = append(parts, protoText(e.Proto))
		case InetService:
			if e.Port == e.PortLast {
				parts = append(parts, fmt.Sprint(e.Port))
			} else {
				parts = append(parts, fmt.Sprintf("%d-%d", e.Port, e.PortLast))
			}
		}
	}
	text := strings.Join(parts, " . ")
	if s.Map {
		text += " : " + e.Verdict.String()
	}
	return text
}

// addrRangeText writes first..last as an address, a prefix when the range is exactly one, or a range.
func addrRangeText(first, last netip.Addr) string {
	if first == last || !last.IsValid() {
		return first.String()
	}
	if p, ok := rangePrefix(first, last); ok {
		return p.String()
	}
	return first.String() + "-" + last.String()
}

func protoText(p uint8) string {
	switch p {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 132:
		return "sctp"
	}
	return fmt.Sprint(p)
}

func writeChain(w io.Writer, c *Chain) {
	fmt.Fprintf(w, "\tchain %s {\n", c.Name)
	if c.Hook != nil {
		fmt.Fprintf(w, "\t\ttype filter hook %s priority %s; policy accept;\n", c.Hook.Name, priorityText(c.Hook.Priority))
	}
	for _, r := range c.Rules {
		fmt.Fprintf(w, "\t\t%s\n", r.String())
	}
	fmt.Fprintln(w, "\t}")
}

func priorityText(p int32) string {
	switch {
	case p == 0:
		return "filter"
	case p > 0:
		return fmt.Sprintf("filter + %d", p)
	}
	return fmt.Sprintf("filter - %d", -p)
}

// String renders the rule as nft writes it inside a chain.
func (r Rule) String() string {
	var parts []string
	switch r.Match {
	case Always:
	case CtEstablishedRelated:
		parts = append(parts, "ct state established,related")
	case ICMPv6NeighborDiscovery:
		parts = append(parts, "icmpv6 type 133-137")
	case Lookup:
		parts = append(parts, fieldsText(r.Fields)+" @"+r.Set)
	case VerdictMap:
		parts = append(parts, fieldsText(r.Fields)+" vmap @"+r.Set)
	case PktTypeBroadcast:
		parts = append(parts, "meta pkttype broadcast")
	case PktTypeMulticast:
		parts = append(parts, "meta pkttype multicast")
	case IP6LinkLocal:
		parts = append(parts, fieldsText(r.Fields)+" fe80::/10")
	case CtNewTCPNotSYN:
		parts = append(parts, "ct state new tcp flags != syn / fin,syn,rst,ack")
	default:
		parts = append(parts, fmt.Sprintf("# unknown match %d", r.Match))
	}
	if l := r.Log; l != nil {
		if l.Rate > 0 {
			parts = append(parts, fmt.Sprintf("limit rate %d/second burst %d packets", l.Rate, l.Burst))
		}
		parts = append(parts, fmt.Sprintf("log prefix %q group %d", l.Prefix, l.Group))
	}
	if r.Counter {
		parts = append(parts, "counter")
	}
	if r.Match != VerdictMap && r.Verdict.Kind != 0 {
		parts = append(parts, r.Verdict.String())
	}
	if r.Comment != "" {
		parts = append(parts, fmt.Sprintf("comment %q", r.Comment))
	}
	return strings.Join(parts, " ")
}

func fieldsText(fs []Field) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.String()
	}
	return strings.Join(names, " . ")
}

func (f Field) String() string {
	switch f {
	case IPSaddr:
		return "ip saddr"
	case IPDaddr:
		return "ip daddr"
	case IP6Saddr:
		return "ip6 saddr"
	case IP6Daddr:
		return "ip6 daddr"
	case L4Proto:
		return "meta l4proto"
	case THDport:
		return "th dport"
	}
	return fmt.Sprintf("field(%d)", uint8(f))
}

func (v Verdict) String() string {
	switch v.Kind {
	case Accept:
		return "accept"
	case Drop:
		return "drop"
	case Return:
		return "return"
	case Jump:
		return "jump " + v.Chain
	case Goto:
		return "goto " + v.Chain
	}
	return fmt.Sprintf("verdict(%d)", v.Kind)
}

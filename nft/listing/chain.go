package listing

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nftpolicy/nftpolicy/nft"
)

// chain reads the body of a chain: its hook declaration, if any, and its rules in order.
func (p *parser) chain(res *Result, open line, name string) (*nft.Chain, error) {
	c := &nft.Chain{Name: name}
	obj := "chain " + name
	for {
		if p.done() {
			return nil, fmt.Errorf("line %d: %s: %w", open.n, obj, errEOF)
		}
		l := p.next()
		switch {
		case l.text == "}":
			return c, nil
		case strings.HasPrefix(l.text, "type ") && c.Hook == nil:
			c.Hook = parseHook(l.text)
		case strings.HasPrefix(l.text, "comment \""), strings.HasPrefix(l.text, "devices "),
			strings.HasPrefix(l.text, "policy "):
			res.Notes = append(res.Notes, Note{Line: l.n, Object: obj, Text: l.text})
		default:
			if braces(l.text) != 0 { // not a rule of ours: keep its first line, skip the block
				if err := p.skipBlock(l); err != nil {
					return nil, err
				}
			}
			c.Rules = append(c.Rules, parseRule(l.text))
		}
	}
}

// parseHook reads `type filter hook forward priority filter; policy accept;`. Any other base chain gets a Hook
// named by its whole declaration, which no desired chain has.
func parseHook(s string) *nft.Hook {
	f := strings.Fields(strings.TrimSuffix(s, "; policy accept;"))
	if len(f) >= 6 && f[0] == "type" && f[1] == "filter" && f[2] == "hook" && f[4] == "priority" && !strings.Contains(s, " device") {
		if prio, ok := parsePriority(strings.TrimSuffix(strings.Join(f[5:], " "), ";")); ok && strings.HasSuffix(s, "; policy accept;") {
			return &nft.Hook{Name: f[3], Priority: prio}
		}
	}
	return &nft.Hook{Name: s}
}

// stdPriorities are the priority names nft prints for filter chains of the inet family.
var stdPriorities = map[string]int32{"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}

// parsePriority reads "filter", "filter + 10", "mangle - 5" or a number.
func parsePriority(s string) (int32, bool) {
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return int32(n), true
	}
	f := strings.Fields(s)
	base, ok := stdPriorities[f[0]]
	if !ok {
		return 0, false
	}
	if len(f) == 1 {
		return base, true
	}
	if len(f) != 3 || (f[1] != "+" && f[1] != "-") {
		return 0, false
	}
	off, err := strconv.ParseInt(f[2], 10, 32)
	if err != nil {
		return 0, false
	}
	if f[1] == "-" {
		off = -off
	}
	return base + int32(off), true
}

// parseRule reads one rule of nftpolicy's vocabulary; any other is an nft.Unknown rule whose Comment is the rule
// as listed.
func parseRule(text string) nft.Rule {
	body, comment, hasComment := strings.Cut(text, ` comment "`)
	if hasComment {
		c, ok := strings.CutSuffix(comment, `"`)
		if !ok || strings.Contains(c, `"`) {
			return nft.Rule{Match: nft.Unknown, Comment: text}
		}
		comment = c
	}
	r, ok := parseMatch(strings.Fields(body))
	if !ok {
		return nft.Rule{Match: nft.Unknown, Comment: text}
	}
	r.Comment = comment
	return r
}

var fieldNames = map[string]nft.Field{
	"ip saddr":     nft.IPSaddr,
	"ip daddr":     nft.IPDaddr,
	"ip6 saddr":    nft.IP6Saddr,
	"ip6 daddr":    nft.IP6Daddr,
	"meta l4proto": nft.L4Proto,
	"th dport":     nft.THDport,
}

// parseMatch reads the words of a rule without its comment.
func parseMatch(w []string) (nft.Rule, bool) {
	// FIELDS vmap @MAP
	if n := len(w); n >= 4 && w[n-2] == "vmap" && strings.HasPrefix(w[n-1], "@") {
		fs, ok := parseFields(w[:n-2])
		return nft.Rule{Match: nft.VerdictMap, Fields: fs, Set: w[n-1][1:]}, ok && len(w[n-1]) > 1
	}
	v, rest, hasVerdict := verdictSuffix(w)
	if !hasVerdict {
		rest = w
	}
	rest, counter := cutCounter(rest)
	rest, log, ok := cutLog(rest)
	if !ok || (!hasVerdict && log == nil) {
		return nft.Rule{}, false
	}
	w = rest
	r := nft.Rule{Verdict: v, Counter: counter, Log: log}
	switch s := strings.Join(w, " "); s {
	case "":
		r.Match = nft.Always
	case "ct state established,related", "ct state related,established":
		r.Match = nft.CtEstablishedRelated
	case "icmpv6 type 133-137", "icmpv6 type nd-router-solicit-nd-redirect":
		r.Match = nft.ICMPv6NeighborDiscovery
	case "meta pkttype broadcast", "pkttype broadcast":
		r.Match = nft.PktTypeBroadcast
	case "meta pkttype multicast", "pkttype multicast":
		r.Match = nft.PktTypeMulticast
	case "ct state new tcp flags != syn / fin,syn,rst,ack", "ct state new tcp flags & (fin|syn|rst|ack) != syn",
		"ct state new tcp flags & (fin | syn | rst | ack) != syn":
		r.Match = nft.CtNewTCPNotSYN
	case "ip6 saddr fe80::/10":
		r.Match, r.Fields = nft.IP6LinkLocal, []nft.Field{nft.IP6Saddr}
	case "ip6 daddr fe80::/10":
		r.Match, r.Fields = nft.IP6LinkLocal, []nft.Field{nft.IP6Daddr}
	default:
		n := len(w)
		if n < 3 || !strings.HasPrefix(w[n-1], "@") || len(w[n-1]) == 1 {
			return r, false
		}
		fs, ok := parseFields(w[:n-1])
		if !ok {
			return r, false
		}
		r.Match, r.Fields, r.Set = nft.Lookup, fs, w[n-1][1:]
	}
	return r, true
}

// cutCounter takes a trailing "counter" or "counter packets N bytes M" off w.
func cutCounter(w []string) ([]string, bool) {
	n := len(w)
	if n >= 5 && w[n-5] == "counter" && w[n-4] == "packets" && w[n-2] == "bytes" {
		return w[:n-5], true
	}
	if n >= 1 && w[n-1] == "counter" {
		return w[:n-1], true
	}
	return w, false
}

// cutLog takes a trailing `log prefix "P" group G`, and `limit rate R/second [burst B packets]` before it, off w;
// ok is false for a log or limit of another shape.
func cutLog(w []string) (rest []string, l *nft.Log, ok bool) {
	n := len(w)
	if n < 5 || w[n-5] != "log" {
		return w, nil, !slices.Contains(w, "log") && !slices.Contains(w, "limit")
	}
	prefix, quoted := strings.CutPrefix(w[n-3], `"`)
	prefix, closed := strings.CutSuffix(prefix, `"`)
	group, err := strconv.ParseUint(w[n-1], 10, 16)
	if w[n-4] != "prefix" || !quoted || !closed || w[n-2] != "group" || err != nil {
		return w, nil, false
	}
	l = &nft.Log{Group: uint16(group), Prefix: prefix}
	w = w[:n-5]
	if i := slices.Index(w, "limit"); i >= 0 {
		lim := w[i:]
		if len(lim) != 3 && !(len(lim) == 6 && lim[3] == "burst" && lim[5] == "packets") || lim[1] != "rate" {
			return w, nil, false
		}
		rate, ok := strings.CutSuffix(lim[2], "/second")
		r, err := strconv.ParseUint(rate, 10, 32)
		if !ok || err != nil {
			return w, nil, false
		}
		// nft prints no burst when it is 5, its default (and what `limit rate R/second` loads as).
		l.Rate, l.Burst = uint32(r), 5
		if len(lim) == 6 {
			b, err := strconv.ParseUint(lim[4], 10, 32)
			if err != nil {
				return w, nil, false
			}
			l.Burst = uint32(b)
		}
		w = w[:i]
	}
	return w, l, true
}

// parseFields reads "ip saddr . meta l4proto . th dport".
func parseFields(w []string) ([]nft.Field, bool) {
	var fs []nft.Field
	for _, part := range strings.Split(strings.Join(w, " "), " . ") {
		f, ok := fieldNames[part]
		if !ok {
			return nil, false
		}
		fs = append(fs, f)
	}
	return fs, len(fs) > 0
}

// verdictSuffix splits the verdict off the end of a rule's words.
func verdictSuffix(w []string) (nft.Verdict, []string, bool) {
	n := len(w)
	if n >= 2 {
		if v, ok := parseVerdict(w[n-2:]); ok && (v.Kind == nft.Jump || v.Kind == nft.Goto) {
			return v, w[:n-2], true
		}
	}
	if n >= 1 {
		if v, ok := parseVerdict(w[n-1:]); ok {
			return v, w[:n-1], true
		}
	}
	return nft.Verdict{}, nil, false
}

// parseVerdict reads "accept", "drop", "return", "jump CHAIN" or "goto CHAIN".
func parseVerdict(w []string) (nft.Verdict, bool) {
	switch {
	case len(w) == 1 && w[0] == "accept":
		return nft.Verdict{Kind: nft.Accept}, true
	case len(w) == 1 && w[0] == "drop":
		return nft.Verdict{Kind: nft.Drop}, true
	case len(w) == 1 && w[0] == "return":
		return nft.Verdict{Kind: nft.Return}, true
	case len(w) == 2 && w[0] == "jump" && chainName(w[1]):
		return nft.Verdict{Kind: nft.Jump, Chain: w[1]}, true
	case len(w) == 2 && w[0] == "goto" && chainName(w[1]):
		return nft.Verdict{Kind: nft.Goto, Chain: w[1]}, true
	}
	return nft.Verdict{}, false
}

// chainName reports whether s is a chain name as nft lists it unquoted.
func chainName(s string) bool {
	return s != "" && !strings.ContainsAny(s, `"{}@;,`)
}

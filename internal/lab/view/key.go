package view

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// probeKey is a destination port and its protocol.
type probeKey struct {
	proto string // upper case
	port  uint16
}

func keyOf(r Result) probeKey {
	p := strings.ToUpper(oneLine(r.Protocol))
	if p == "" {
		p = "TCP"
	}
	return probeKey{proto: p, port: r.Port}
}

func protoRank(p string) int {
	switch p {
	case "TCP":
		return 0
	case "UDP":
		return 1
	case "SCTP":
		return 2
	}
	return 3
}

// compare orders keys by protocol (TCP, UDP, SCTP, others by name), then port.
func (k probeKey) compare(o probeKey) int {
	return cmp.Or(cmp.Compare(protoRank(k.proto), protoRank(o.proto)), strings.Compare(k.proto, o.proto),
		cmp.Compare(k.port, o.port))
}

// String is "80/TCP".
func (k probeKey) String() string { return fmt.Sprintf("%d/%s", k.port, k.proto) }

// short is "80t" (t TCP, u UDP, s SCTP; other protocols by their lower-case name).
func (k probeKey) short() string {
	letter := strings.ToLower(k.proto)
	switch k.proto {
	case "TCP", "UDP", "SCTP":
		letter = letter[:1]
	}
	return strconv.Itoa(int(k.port)) + letter
}

// family is the address family of a probe, from its destination address (else its source's).
type family uint8

const (
	fam4 family = iota
	fam6
	famUnknown
	numFamilies
)

func familyOf(r Result) family {
	a := r.ToIP
	if !a.IsValid() {
		a = r.FromIP
	}
	switch {
	case a.Is4():
		return fam4
	case a.Is6():
		return fam6
	}
	return famUnknown
}

func (f family) String() string {
	switch f {
	case fam4:
		return "IPv4"
	case fam6:
		return "IPv6"
	}
	return "IP?"
}

package view

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// Test scenarios: a few pods and external hosts, the ports they listen on, and who may talk to whom.

type host struct {
	name   string
	v4, v6 string // "" = no address of that family
	ports  []port // what it listens on; nil = the scenario's
}

type port struct {
	num   uint16
	proto string
}

type scenario struct {
	hosts []host
	ports []port
	// allow is the expected verdict; nil allows everything.
	allow func(from, to string, p port, v6 bool) bool
	// audit tells which of the probes allow denies pass only because of audit mode; nil: none.
	audit func(from, to string, p port, v6 bool) bool
	// twist changes a result after the expected verdict is set (a mismatch, an error).
	twist func(r *Result)
}

func external(ip string) host {
	a := netip.MustParseAddr(ip)
	if a.Is4() {
		return host{name: ip, v4: ip}
	}
	return host{name: ip, v6: ip}
}

// results probes every ordered pair of distinct hosts (none between two externals) on the destination's ports in
// each family both have, shuffled so that sorting is the view's job.
func (s scenario) results() []Result {
	var out []Result
	for _, from := range s.hosts {
		for _, to := range s.hosts {
			if from.name == to.name || (isExternal(from) && isExternal(to)) {
				continue
			}
			ports := to.ports
			if ports == nil {
				ports = s.ports
			}
			for _, p := range ports {
				for _, fam := range []struct {
					from, to string
					v6       bool
				}{{from.v4, to.v4, false}, {from.v6, to.v6, true}} {
					if fam.from == "" || fam.to == "" {
						continue
					}
					allow := s.allow == nil || s.allow(from.name, to.name, p, fam.v6)
					audited := !allow && s.audit != nil && s.audit(from.name, to.name, p, fam.v6)
					r := Result{From: from.name, To: to.name, FromIP: netip.MustParseAddr(fam.from),
						ToIP: netip.MustParseAddr(fam.to), Port: p.num, Protocol: p.proto,
						Observed: allow || audited, Expected: allow || audited, Audited: audited}
					if s.twist != nil {
						s.twist(&r)
					}
					out = append(out, r)
				}
			}
		}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func isExternal(h host) bool { _, err := netip.ParseAddr(h.name); return err == nil }

func pods(ns string, names ...string) []host {
	var out []host
	for _, n := range names {
		out = append(out, host{name: ns + "/" + n})
	}
	return out
}

// addressed gives hosts without addresses 10.244.0.N (and fd00::N when v6).
func addressed(hs []host, v6 bool) []host {
	for i := range hs {
		if hs[i].v4 == "" && hs[i].v6 == "" {
			hs[i].v4 = fmt.Sprintf("10.244.%d.%d", (i+10)/250, (i+10)%250)
			if v6 {
				hs[i].v6 = fmt.Sprintf("fd00::%x", i+10)
			}
		}
	}
	return hs
}

var (
	tcp80   = port{80, "TCP"}
	tcp443  = port{443, "TCP"}
	udp53   = port{53, "UDP"}
	tcp5432 = port{5432, "TCP"}
	sctp36  = port{3868, "SCTP"}
)

func in(s string, set ...string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// errTimeout is a probe failure with a newline in it, as wrapped errors sometimes have.
var errTimeout = errors.New("dial tcp 10.244.0.12:443: i/o timeout\n(after 2 attempts)")

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }

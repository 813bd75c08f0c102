package compiler_test

import (
	"fmt"
	"net/netip"

	"github.com/nftpolicy/nftpolicy/nft"
)

// A small interpreter of the compiled table, for tests: it runs one packet through the rules of a regular chain
// as the kernel would (lookups, jump, goto, return, accept, drop) and says where the packet ended. It knows only
// what the group chains use.

// packet is what a group chain's lookups read: the peer address, the protocol and the destination port.
type packet struct {
	peer  netip.Addr
	proto uint8
	port  uint16
}

func (p packet) String() string { return fmt.Sprintf("%s %d/%d", p.peer, p.proto, p.port) }

// outcome is where a packet's walk through the chains ended.
type outcome struct {
	verdict nft.VerdictKind // Accept, Drop, or Return (fell back to the caller of the first chain)
	chain   string          // the chain whose rule gave the verdict ("" when the first chain ran out)
	rule    int             // that rule's index
}

func (o outcome) String() string {
	return fmt.Sprintf("%s in %s rule %d", nft.Verdict{Kind: o.verdict}, o.chain, o.rule)
}

// interp runs packets through the chains of one table.
type interp struct {
	sets   map[string]*nft.Set
	chains map[string]*nft.Chain
}

func newInterp(t *nft.Table) *interp {
	in := &interp{sets: map[string]*nft.Set{}, chains: map[string]*nft.Chain{}}
	for _, s := range t.Sets {
		in.sets[s.Name] = s
	}
	for _, c := range t.Chains {
		in.chains[c.Name] = c
	}
	return in
}

// run walks the packet from chain start, entered by a jump (a verdict map's), and returns where it ended.
func (in *interp) run(start string, p packet) (outcome, error) {
	type frame struct {
		chain string
		next  int
	}
	stack := []frame{{start, 0}}
	for steps := 0; len(stack) > 0; steps++ {
		if steps > 10000 {
			return outcome{}, fmt.Errorf("%s: loop", p)
		}
		top := &stack[len(stack)-1]
		ch := in.chains[top.chain]
		if ch == nil {
			return outcome{}, fmt.Errorf("%s: no chain %s", p, top.chain)
		}
		if top.next >= len(ch.Rules) {
			stack = stack[:len(stack)-1] // implicit return
			continue
		}
		i := top.next
		r := ch.Rules[i]
		top.next++
		ok, err := in.matches(r, p)
		if err != nil {
			return outcome{}, fmt.Errorf("%s rule %d: %w", ch.Name, i, err)
		}
		if !ok {
			continue
		}
		switch v := r.Verdict; v.Kind {
		case 0: // a rule that only logs
		case nft.Accept, nft.Drop:
			return outcome{v.Kind, ch.Name, i}, nil
		case nft.Return:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return outcome{nft.Return, ch.Name, i}, nil
			}
		case nft.Jump:
			stack = append(stack, frame{v.Chain, 0})
		case nft.Goto:
			*top = frame{v.Chain, 0}
		default:
			return outcome{}, fmt.Errorf("%s rule %d: verdict %s", ch.Name, i, v)
		}
	}
	return outcome{verdict: nft.Return}, nil
}

func (in *interp) matches(r nft.Rule, p packet) (bool, error) {
	switch r.Match {
	case nft.Always:
		return true, nil
	case nft.Lookup:
	default:
		return false, fmt.Errorf("match %d not interpreted", r.Match)
	}
	s := in.sets[r.Set]
	if s == nil {
		return false, fmt.Errorf("no set %s", r.Set)
	}
	for _, f := range r.Fields {
		switch f {
		case nft.IPSaddr, nft.IPDaddr:
			if !p.peer.Is4() {
				return false, nil // the rule's protocol match fails for an IPv6 packet
			}
		case nft.IP6Saddr, nft.IP6Daddr:
			if !p.peer.Is6() {
				return false, nil
			}
		}
	}
	for _, e := range s.Elements {
		if e.Addr.Compare(p.peer) > 0 || p.peer.Compare(e.AddrLast) > 0 {
			continue
		}
		if len(r.Fields) == 3 && (e.Proto != p.proto || p.port < e.Port || p.port > e.PortLast) {
			continue
		}
		return true, nil
	}
	return false, nil
}

package labnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// Probe connects from endpoint from (a pod key or an external's
// ip.String()) to addr on port, inside from's namespace: TCP connects, UDP
// needs a nonce echoed, SCTP sends one INIT that the raw receiver of the
// endpoint owning to must see (an address no endpoint of the lab owns, or
// an SCTP port its owner does not listen on, is false without a packet).
//
// It returns true when the probe got through within ProbeTimeout; false
// when it was dropped, refused or timed out; an error when the lab itself
// failed: unknown endpoint, a destination family the source lacks, a bad
// port, ctx ended, or a socket error that is not an ordinary "blocked".
// A ruleset in the lab only drops, so "host/network unreachable"
// (EHOSTUNREACH, ENETUNREACH: no route, failed neighbour resolution) and
// "not permitted" (EACCES, EPERM: a reject or a drop on the source's own
// output) on the way to an endpoint of the lab mean that the lab's network
// is broken: they are errors, never a "deny" (so are they on the way to
// NodeIPs). Only to an address that no endpoint owns, or that changed
// hands while the probe ran, is unreachable an ordinary false: the node
// has no route for it, or nobody answers ARP or NDP for it.
// Any number of probes may run at once.
func (n *Net) Probe(ctx context.Context, from string, to netip.Addr, port Port) (bool, error) {
	ok, err := n.probe(ctx, from, to.Unmap(), port)
	if err != nil {
		return false, fmt.Errorf("probe %s -> %s %s: %w", from, to, port, err)
	}
	return ok, nil
}

func (n *Net) probe(ctx context.Context, from string, to netip.Addr, port Port) (bool, error) {
	if err := port.check(); err != nil {
		return false, err
	}
	if !to.IsValid() {
		return false, errors.New("invalid destination address")
	}
	src, dst := n.lookup(from, to)
	if src == nil {
		return false, errors.New("unknown source endpoint")
	}
	src.mu.RLock()
	defer src.mu.RUnlock()
	if src.gone {
		return false, errors.New("source endpoint removed")
	}
	fam := family(to)
	if !src.has(fam) {
		return false, fmt.Errorf("%v has no IPv%d address", src, fam)
	}
	pctx, cancel := context.WithTimeout(ctx, n.cfg.ProbeTimeout)
	defer cancel()
	ap := netip.AddrPortFrom(to, port.Number)
	var err error
	switch port.Proto {
	case TCP:
		err = netns.ProbeTCP(pctx, src.path(), ap)
	case UDP:
		err = netns.ProbeUDP(pctx, src.path(), ap)
	case SCTP:
		var rx *netns.SCTPReceiver
		if dst != nil && dst.sctp[port.Number] && dst.ln != nil {
			rx = dst.ln.SCTP(fam)
		}
		err = netns.ProbeSCTP(pctx, src.path(), rx, ap)
	}
	switch {
	case err == nil:
		return true, nil
	case ctx.Err() != nil:
		return false, ctx.Err()
	case unreachable(err):
		nodeIP := to == nodeIP4 || to == nodeIP6
		if _, now := n.lookup(from, to); now != dst || (dst == nil && !nodeIP) {
			return false, nil // nobody there, or it changed hands meanwhile
		}
		return false, fmt.Errorf("the lab's network is broken (a ruleset here only drops): %w", err)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return false, fmt.Errorf("the lab's network is broken (a ruleset here only drops): %w", err)
	case netns.Blocked(err):
		return false, nil
	}
	return false, err
}

// lookup returns the endpoint with the key from and the one owning the
// address to (nil if none).
func (n *Net) lookup(from string, to netip.Addr) (src, dst *endpoint) {
	n.epMu.RLock()
	defer n.epMu.RUnlock()
	return n.byKey[from], n.byAddr[to.WithZone("")]
}

// unreachable tells whether err says there is no way to the destination.
func unreachable(err error) bool {
	return errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH)
}

package labnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// endpoint is a pod or an external host: a namespace with eth0 (the end of
// a veth whose other end, hostIf, is in the node), addresses and listeners.
type endpoint struct {
	key      string // pod "namespace/name", external ip.String()
	external bool
	netns    string
	hostIf   string
	mac      string // eth0's address (podMAC, for externals too)
	ips      []netip.Addr
	sctp     map[uint16]bool // SCTP ports it listens on
	ln       *netns.Listeners

	// Probes from the endpoint hold mu for reading; removal takes it for
	// writing, so the namespace outlives every probe that started in it.
	mu   sync.RWMutex
	gone bool
}

func (e *endpoint) path() string { return netns.Path(e.netns) }

func (e *endpoint) has(fam int) bool {
	for _, ip := range e.ips {
		if family(ip) == fam {
			return true
		}
	}
	return false
}

func (e *endpoint) String() string {
	if e.external {
		return fmt.Sprintf("external %s (netns %s)", e.key, e.netns)
	}
	return fmt.Sprintf("pod %s (netns %s)", e.key, e.netns)
}

// build creates the endpoint's namespace, wires it with nodeSide and
// endSide, waits for eth0 to carry traffic, installs the neighbour entries
// (learn; e is reserved) and opens the listeners. On error the caller
// releases e and removes what was made (destroy).
func (n *Net) build(e *endpoint, ports []Port, nodeSide, endSide []string) error {
	if err := netns.Add(e.netns); err != nil {
		return err
	}
	if err := netns.SetSysctls(e.netns, endpointSysctls); err != nil {
		return err
	}
	if err := netns.Batch(n.node, nodeSide); err != nil {
		return err
	}
	if n.cfg.Topology == Bridge && !e.external {
		// A port of br0 has no use for IPv6 of its own: without it, it
		// sends no MLD reports and keeps no neighbour entries.
		if err := netns.SetSysctls(n.node, [][2]string{{"net.ipv6.conf." + e.hostIf + ".disable_ipv6", "1"}}); err != nil {
			return err
		}
	}
	if err := netns.Batch(e.netns, endSide); err != nil {
		return err
	}
	if err := waitRunning(e.path(), "eth0"); err != nil {
		return err
	}
	if err := n.learn(e); err != nil {
		return err
	}
	spec := netns.ListenSpec{}
	e.sctp = map[uint16]bool{}
	for _, p := range ports {
		switch p.Proto {
		case TCP:
			spec.TCP = append(spec.TCP, p.Number)
		case UDP:
			spec.UDP = append(spec.UDP, p.Number)
		case SCTP:
			e.sctp[p.Number] = true
		}
	}
	if len(e.sctp) > 0 {
		for _, ip := range e.ips {
			spec.SCTP = append(spec.SCTP, family(ip))
		}
	}
	ln, err := netns.Listen(e.path(), spec)
	if err != nil {
		return err
	}
	e.ln = ln
	return nil
}

// destroy waits for the probes running from e, closes its sockets, deletes
// the neighbour entries for e's addresses outside its namespace (forget; e
// is released), its veth (with nodeLines, e.g. a gateway's removal, in the
// same batch) and its namespace. It keeps going past errors and returns
// them joined.
func (n *Net) destroy(e *endpoint, nodeLines []string) error {
	e.mu.Lock()
	e.gone = true
	e.mu.Unlock()
	var errs []error
	if e.ln != nil {
		if err := e.ln.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close sockets: %w", err))
		}
	}
	if err := n.forget(e); err != nil {
		errs = append(errs, err)
	}
	lines := nodeLines
	if linkExists(n.node, e.hostIf) {
		lines = append([]string{"link del " + e.hostIf}, lines...)
	}
	if len(lines) > 0 {
		if err := netns.Batch(n.node, lines); err != nil {
			errs = append(errs, err)
		}
	}
	if err := netns.Delete(e.netns); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove %v: %w", e, err)
	}
	return nil
}

// linkExists tells whether the node namespace ns has the interface name.
func linkExists(ns, name string) bool {
	found := false
	netns.InNetns(netns.Path(ns), func() error {
		_, err := net.InterfaceByName(name)
		found = err == nil
		return nil
	})
	return found
}

// runningWait bounds how long build waits for eth0 to come up.
const runningWait = 3 * time.Second

// waitRunning waits until the interface in the namespace at path is up
// with carrier (the veth's two ends are up), so the first probe does not
// race link setup.
func waitRunning(path, ifName string) error {
	deadline := time.Now().Add(runningWait)
	for {
		var flags net.Flags
		err := netns.InNetns(path, func() error {
			ifi, err := net.InterfaceByName(ifName)
			if err != nil {
				return err
			}
			flags = ifi.Flags
			return nil
		})
		if err != nil {
			return fmt.Errorf("%s in %s: %w", ifName, path, err)
		}
		if flags&net.FlagRunning != 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s in %s not running after %v (flags %v)", ifName, path, runningWait, flags)
		}
		time.Sleep(time.Millisecond)
	}
}

package labnet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// Net is one lab node with its pods and external hosts.
type Net struct {
	cfg      Config
	id       string
	node     string // the node's netns name
	stateDir string

	// mu serializes the changes (AddPod, RemovePod, AddExternal, Close)
	// and guards the fields below it; probes never take it.
	mu      sync.Mutex
	closed  bool
	nextPod int
	nextExt int
	used    map[netip.Addr]*endpoint // every endpoint address
	subnets map[netip.Prefix]int     // bridge topology: pods per subnet; while > 0, br0 has its gateway and proxy entries

	// epMu guards the lookup tables probes use.
	epMu   sync.RWMutex
	byKey  map[string]*endpoint
	byAddr map[netip.Addr]*endpoint
}

// New creates the lab: id "nftp-lab-<6 hex>", node namespace "<id>-node"
// (ip_forward and IPv6 forwarding on, DAD off, rp_filter off, lab0 with the
// node's addresses; bridge topology: br0 with multicast snooping off,
// proxy ARP and proxy NDP, and br_netfilter on), and the state directory
// StateRoot/<id>/ holding a file "pid" with os.Getpid(). On any error it
// removes what it made.
func New(cfg Config) (*Net, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.StateRoot, err = filepath.Abs(cfg.StateRoot); err != nil {
		return nil, fmt.Errorf("state root: %w", err)
	}
	id, dir, err := makeStateDir(cfg.StateRoot)
	if err != nil {
		return nil, fmt.Errorf("new lab: %w", err)
	}
	n := &Net{
		cfg: cfg, id: id, node: id + "-node", stateDir: dir,
		used: map[netip.Addr]*endpoint{}, subnets: map[netip.Prefix]int{},
		byKey: map[string]*endpoint{}, byAddr: map[netip.Addr]*endpoint{},
	}
	if err := n.setupNode(); err != nil {
		err = fmt.Errorf("new lab %s: node %s: %w", id, n.node, err)
		if cerr := n.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, err
	}
	return n, nil
}

func (n *Net) setupNode() error {
	if err := netns.Add(n.node); err != nil {
		return err
	}
	if err := netns.SetSysctls(n.node, nodeSysctls(n.cfg.Topology)); err != nil {
		return err
	}
	if err := netns.Batch(n.node, nodeLines(n.cfg.Topology)); err != nil {
		return err
	}
	if n.cfg.Topology == Bridge {
		return netns.SetSysctls(n.node, bridgeSysctls)
	}
	return nil
}

// ID returns the lab's id, "nftp-lab-<6 hex>", the prefix of its
// namespaces' names.
func (n *Net) ID() string { return n.id }

// StateDir returns StateRoot/<id> (StateRoot made absolute).
func (n *Net) StateDir() string { return n.stateDir }

// NodeNetnsPath returns /run/netns/<id>-node: where the agent programs
// nftables.
func (n *Net) NodeNetnsPath() string { return netns.Path(n.node) }

// NodeIPs returns the node's own addresses (on lab0), IPv4 first. Pods
// reach them through their gateway; use them as the pods' status.hostIP.
func (n *Net) NodeIPs() []netip.Addr { return []netip.Addr{nodeIP4, nodeIP6} }

// Close removes everything the Net made: it waits for running probes,
// closes the sockets, deletes the namespaces and then the state directory
// (which it keeps if a namespace could not be deleted, so that Cleanup can
// find the lab later). It is safe to call twice.
func (n *Net) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil
	}
	n.closed = true
	n.epMu.Lock()
	eps := make([]*endpoint, 0, len(n.byKey))
	for _, e := range n.byKey {
		eps = append(eps, e)
	}
	n.byKey, n.byAddr = map[string]*endpoint{}, map[netip.Addr]*endpoint{}
	n.epMu.Unlock()

	var errs []error
	names := []string{n.node}
	for _, e := range eps {
		e.mu.Lock()
		e.gone = true
		e.mu.Unlock()
		if e.ln != nil {
			if err := e.ln.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close sockets of %v: %w", e, err))
			}
		}
		names = append(names, e.netns)
	}
	// Also whatever a failed rollback may have left.
	leftover, _ := filepath.Glob(netns.Path(n.id + "-*"))
	for _, p := range leftover {
		if name := filepath.Base(p); !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names[1:])
	if err := netns.Delete(names...); err != nil {
		errs = append(errs, err)
	} else if err := os.RemoveAll(n.stateDir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close lab %s: %w", n.id, err)
	}
	return nil
}

package kernel

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// Conn programs the table inet nftpolicy in one network namespace and nothing else. Its methods may be called
// from several goroutines; they run one at a time.
type Conn struct {
	mu sync.Mutex
	ns *os.File // the namespace, or nil for the caller's own
	t  *transport

	// known says that last is what the kernel holds (nil: no table). It is set by a successful Sync, Read or
	// Delete and cleared by any error and by Apply.
	known bool
	last  *nft.Table
	// dormant says the last read found the table with flags (dormant): the next batch wakes it first.
	dormant bool
	// lastBatch is what the current or most recent Sync, Apply or Delete sent (LastBatch).
	lastBatch BatchStats

	// onBatch, when set (tests), sees the labels of every batch sent, in order.
	onBatch func(labels []string)
}

// Open connects to nftables in the network namespace at netnsPath (e.g. /run/netns/NAME); "" means the
// namespace of the calling process (in production, the host's).
func Open(netnsPath string) (*Conn, error) {
	c := &Conn{}
	fd := 0
	if netnsPath != "" {
		f, err := os.Open(netnsPath)
		if err != nil {
			return nil, fmt.Errorf("open network namespace: %w", err)
		}
		c.ns, fd = f, int(f.Fd())
	}
	t, err := dialTransport(fd)
	if err != nil {
		if c.ns != nil {
			c.ns.Close()
		}
		return nil, fmt.Errorf("nftables in %s: %w", nsName(netnsPath), err)
	}
	c.t = t
	return c, nil
}

func nsName(p string) string {
	if p == "" {
		return "the current network namespace"
	}
	return "network namespace " + p
}

// Close releases the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.t.close()
	if c.ns != nil {
		err = errors.Join(err, c.ns.Close())
	}
	return err
}

// Read returns what the kernel holds in table inet nftpolicy, decoded into the model (nil, nil when the table
// does not exist). Rules it cannot map exactly come back as nft.Unknown; sets and base chains it cannot map
// come back with a definition no desired object has (a nil Key, a Hook named after what was found), so a Diff
// against any desired table replaces them. The result also becomes the state the next Sync diffs against.
func (c *Conn) Read() (*nft.Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	tbl, err := c.read()
	if err != nil {
		c.known = false
		return nil, err
	}
	c.known, c.last = true, clone(tbl)
	return tbl, nil
}

// Apply sends the plan as one netlink batch: the kernel applies all of it or nothing. Sync remembers nothing
// about a plan applied this way: the next Sync reads the kernel.
func (c *Conn) Apply(p *nft.Plan) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.known, c.lastBatch = false, BatchStats{}
	if p.Empty() {
		return nil
	}
	defs := map[string]*nft.Set{}
	if len(p.DelElements)+len(p.AddElements) > 0 {
		var err error
		if defs, err = c.readSetDefs(); err != nil {
			return err
		}
	}
	return c.apply(p, defs)
}

func (c *Conn) apply(p *nft.Plan, defs map[string]*nft.Set) error {
	if c.dormant {
		// The kernel refuses to add or delete base chains in the transaction that clears a table's flags, so
		// waking the table up is a batch of its own. It then enforces its old rules until the plan lands.
		wake, err := newBatch()
		if err == nil {
			err = wake.addTable()
		}
		if err == nil {
			err = c.send(wake)
		}
		if err != nil {
			return fmt.Errorf("wake up table %s: %w", tableLabel(), err)
		}
		c.dormant = false
	}
	b, err := buildBatch(p, defs)
	if err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if err := c.send(b); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	return nil
}

func (c *Conn) send(b *batch) error {
	if c.onBatch != nil {
		labels := make([]string, len(b.msgs))
		for i, m := range b.msgs {
			labels[i] = m.label
		}
		c.onBatch(labels)
	}
	sent, err := c.t.sendBatch(b.msgs)
	c.record(len(b.msgs), sent)
	return err
}

// Sync makes the kernel hold desired. It diffs against the state it last applied or read (on first use, and
// after any error, it reads the kernel instead), applies the plan in one batch and remembers desired. It
// returns the plan it applied (empty when nothing changed).
func (c *Conn) Sync(desired *nft.Table) (*nft.Plan, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lastBatch = BatchStats{}
	if desired == nil {
		return nil, fmt.Errorf("sync table %s: no desired table (Delete removes it)", tableLabel())
	}
	if !c.known {
		cur, err := c.read()
		if err != nil {
			return nil, err
		}
		c.known, c.last = true, cur
	}
	p := nft.Diff(c.last, desired)
	if p.Empty() {
		return p, nil
	}
	defs := make(map[string]*nft.Set, len(desired.Sets))
	for _, s := range desired.Sets {
		defs[s.Name] = s
	}
	if err := c.apply(p, defs); err != nil {
		c.known, c.last = false, nil
		return p, err
	}
	c.last = clone(desired)
	return p, nil
}

// Delete removes table inet nftpolicy if present (uninstall), and nothing else.
func (c *Conn) Delete() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.known, c.lastBatch = false, BatchStats{}
	b, err := newBatch()
	if err != nil {
		return err
	}
	if err := b.delTable(); err != nil {
		return err
	}
	if err := c.send(b); err != nil && !errors.Is(err, unix.ENOENT) {
		return err
	}
	c.known, c.last, c.dormant = true, nil, false
	return nil
}

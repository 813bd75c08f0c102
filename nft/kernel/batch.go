package kernel

import (
	"fmt"
	"io"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// batch collects the messages of one transaction in order, each with a label for errors.
//
// Tables, chains, sets and rules are serialised by github.com/google/nftables: its Conn is pointed at an
// in-memory socket (WithTestDial) that captures what Flush would send. The messages then go out on this
// package's own socket (transport), which reports errors per message. Element lists are built here (see
// encode_set.go) because the library cannot express what they need.
type batch struct {
	lib      *nftables.Conn
	captured []netlink.Message
	msgs     []message
	table    *nftables.Table
	setID    uint32 // last batch-local set ID handed out
}

func newBatch() (*batch, error) {
	b := &batch{table: &nftables.Table{Name: nft.TableName, Family: nftables.TableFamilyINet}}
	lib, err := nftables.New(nftables.WithTestDial(func(req []netlink.Message) ([]netlink.Message, error) {
		b.captured = append(b.captured, req...)
		// No replies: the library's Flush then reads nothing and succeeds.
		return nil, io.EOF
	}), nftables.AsLasting()) // one in-memory socket for the whole batch, not one per Flush
	if err != nil {
		return nil, err
	}
	b.lib = lib
	return b, nil
}

// viaLib runs one library call that queues exactly one message and takes that message into the batch.
func (b *batch) viaLib(label string, call func(*nftables.Conn)) error {
	b.captured = b.captured[:0]
	call(b.lib)
	if err := b.lib.Flush(); err != nil {
		return fmt.Errorf("%s: encode: %w", label, err)
	}
	var got []netlink.Message
	for _, m := range b.captured {
		if t := m.Header.Type; t != unix.NFNL_MSG_BATCH_BEGIN && t != unix.NFNL_MSG_BATCH_END {
			got = append(got, m)
		}
	}
	if len(got) != 1 {
		return fmt.Errorf("%s: encode: library queued %d messages, want 1", label, len(got))
	}
	m := got[0]
	b.msgs = append(b.msgs, message{
		typ: uint16(m.Header.Type) & 0xff,
		// The library asks for echoes of new rules; this package only wants acknowledgements.
		flags: m.Header.Flags &^ (unix.NLM_F_ECHO | netlink.Request | netlink.Acknowledge),
		data:  m.Data,
		label: label,
	})
	return nil
}

func (b *batch) add(m message) { b.msgs = append(b.msgs, m) }

func tableLabel() string { return "inet " + nft.TableName }

func (b *batch) addTable() error {
	// NEWTABLE without NLM_F_EXCL creates the table or, if it exists, sets its flags to 0 (wakes a dormant one).
	return b.viaLib("add table "+tableLabel(), func(c *nftables.Conn) { c.AddTable(b.table) })
}

func (b *batch) delTable() error {
	return b.viaLib("delete table "+tableLabel(), func(c *nftables.Conn) { c.DelTable(b.table) })
}

func (b *batch) addChain(ch *nft.Chain) error {
	lc := &nftables.Chain{Name: ch.Name, Table: b.table}
	if h := ch.Hook; h != nil {
		num, ok := hookNums[h.Name]
		if !ok {
			return fmt.Errorf("add chain %s %s: unknown hook %q", tableLabel(), ch.Name, h.Name)
		}
		prio := nftables.ChainPriority(h.Priority)
		policy := nftables.ChainPolicyAccept
		lc.Hooknum, lc.Priority, lc.Type, lc.Policy = &num, &prio, nftables.ChainTypeFilter, &policy
	}
	return b.viaLib("add chain "+tableLabel()+" "+ch.Name, func(c *nftables.Conn) { c.AddChain(lc) })
}

func (b *batch) flushChain(name string) error {
	return b.viaLib("flush chain "+tableLabel()+" "+name, func(c *nftables.Conn) {
		c.FlushChain(&nftables.Chain{Name: name, Table: b.table})
	})
}

func (b *batch) delChain(name string) error {
	return b.viaLib("delete chain "+tableLabel()+" "+name, func(c *nftables.Conn) {
		c.DelChain(&nftables.Chain{Name: name, Table: b.table})
	})
}

func (b *batch) delSet(name string) error {
	return b.viaLib("delete set "+tableLabel()+" "+name, func(c *nftables.Conn) {
		c.DelSet(&nftables.Set{Name: name, Table: b.table})
	})
}

// hookNums maps the model's hook names to netfilter hook numbers.
var hookNums = map[string]nftables.ChainHook{
	"input":   unix.NF_INET_LOCAL_IN,
	"forward": unix.NF_INET_FORWARD,
	"output":  unix.NF_INET_LOCAL_OUT,
}

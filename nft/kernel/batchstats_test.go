package kernel

import (
	"slices"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/nft"
)

// wireBytes is what the netlink package writes for a batch of msgs: each message marshalled with its header
// and padding, plus the batch's begin and end. It is computed here from the library's own encoding, not from
// the arithmetic of sendBatch.
func wireBytes(t *testing.T, msgs []message) int {
	t.Helper()
	all := []netlink.Message{{Header: netlink.Header{Type: unix.NFNL_MSG_BATCH_BEGIN},
		Data: nfgenmsg(unix.AF_UNSPEC, unix.NFNL_SUBSYS_NFTABLES)}}
	for _, m := range msgs {
		all = append(all, netlink.Message{Header: netlink.Header{Type: nftType(m.typ)}, Data: m.data})
	}
	all = append(all, all[0])
	n := 0
	for _, m := range all {
		m.Header.Length = uint32(unix.NLMSG_HDRLEN + len(m.Data)) // as netlink.Conn fills it in before sending
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		n += len(b)
	}
	return n
}

// planBatch is the batch Sync builds for p towards desired.
func planBatch(t *testing.T, p *nft.Plan, desired *nft.Table) []message {
	t.Helper()
	defs := map[string]*nft.Set{}
	for _, s := range desired.Sets {
		defs[s.Name] = s
	}
	b, err := buildBatch(p, defs)
	if err != nil {
		t.Fatal(err)
	}
	return b.msgs
}

// TestLastBatch checks LastBatch against the batches Conn sends: a first sync, a sync that changes nothing, a
// one-element change, a sync that must wake a dormant table first (two batches, summed), a batch the kernel
// refuses (sent, so counted) and a delete.
func TestLastBatch(t *testing.T) {
	c, ns := openNetns(t)
	batches := recordBatches(c)
	check := func(step string, want BatchStats) {
		t.Helper()
		if got := c.LastBatch(); got != want {
			t.Errorf("%s: LastBatch() = %+v, want %+v", step, got, want)
		}
	}

	want := fixture()
	p, err := c.Sync(want)
	if err != nil {
		t.Fatal(err)
	}
	full := planBatch(t, p, want)
	if len(*batches) != 1 || len((*batches)[0]) != len(full) {
		t.Fatalf("first sync sent %d batches (%v), want one of %d messages", len(*batches), *batches, len(full))
	}
	check("first sync", BatchStats{Batches: 1, Messages: len(full), Bytes: wireBytes(t, full)})

	if _, err := c.Sync(want); err != nil {
		t.Fatal(err)
	}
	check("no change", BatchStats{})

	changed := clone(want)
	h4 := findSet(changed, "h4")
	h4.Elements = append(slices.Clone(h4.Elements), exact("10.1.0.77"))
	canonical(changed)
	if p, err = c.Sync(changed); err != nil {
		t.Fatal(err)
	}
	one := planBatch(t, p, changed)
	if len(one) != 2 { // add table, add element
		t.Fatalf("one new element: batch of %d messages, want 2", len(one))
	}
	check("one element", BatchStats{Batches: 1, Messages: 2, Bytes: wireBytes(t, one)})
	if got := c.LastBatch(); got.Bytes >= wireBytes(t, planBatch(t, &nft.Plan{CreateTable: true, AddSets: want.Sets}, want)) {
		t.Errorf("one element took %d bytes, no fewer than every set", got.Bytes)
	}

	// A dormant table is woken by a batch of its own (add table), then the plan follows.
	nftIn(t, ns, "add table inet nftpolicy { flags dormant; }", "-f", "-")
	if _, err := c.Read(); err != nil {
		t.Fatal(err)
	}
	*batches = nil
	if p, err = c.Sync(want); err != nil {
		t.Fatal(err)
	}
	back := planBatch(t, p, want)
	if len(*batches) != 2 || len((*batches)[0]) != 1 {
		t.Fatalf("dormant table: batches %v, want a wake-up then the plan", *batches)
	}
	wake, err := newBatch()
	if err != nil {
		t.Fatal(err)
	}
	if err := wake.addTable(); err != nil {
		t.Fatal(err)
	}
	check("dormant", BatchStats{Batches: 2, Messages: 1 + len(back), Bytes: wireBytes(t, wake.msgs) + wireBytes(t, back)})

	// Deleting elements the kernel does not hold fails, but the batch went out.
	bad := &nft.Plan{DelElements: map[string][]nft.Element{"h4": {exact("10.9.9.9")}}}
	if err := c.Apply(bad); err == nil {
		t.Fatal("deleting a missing element succeeded")
	}
	check("refused", BatchStats{Batches: 1, Messages: 2, Bytes: wireBytes(t, planBatch(t, bad, want))})

	if err := c.Delete(); err != nil {
		t.Fatal(err)
	}
	del, err := newBatch()
	if err != nil {
		t.Fatal(err)
	}
	if err := del.delTable(); err != nil {
		t.Fatal(err)
	}
	check("delete", BatchStats{Batches: 1, Messages: 1, Bytes: wireBytes(t, del.msgs)})
	if _, err := c.Read(); err != nil {
		t.Fatal(err)
	}
	check("read sends nothing", BatchStats{Batches: 1, Messages: 1, Bytes: wireBytes(t, del.msgs)})
}

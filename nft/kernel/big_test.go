package kernel

import (
	"net/netip"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
)

// nthAddr returns distinct IPv4 addresses from 10.0.0.0 on.
func nthAddr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func bigTable(n, concat int) *nft.Table {
	hosts := &nft.Set{Name: "big-a", Key: v4}
	for i := range n {
		a := nthAddr(i)
		hosts.Elements = append(hosts.Elements, nft.Element{Addr: a, AddrLast: a})
	}
	ports := &nft.Set{Name: "big-ap", Key: ap4}
	for i := range concat {
		a := nthAddr(i / 3)
		proto := []uint8{tcp, udp, sctp}[i%3]
		ports.Elements = append(ports.Elements, nft.Element{Addr: a, AddrLast: a, Proto: proto, Port: uint16(1000 + i%50000), PortLast: uint16(1000 + i%50000)})
	}
	return canonical(&nft.Table{
		Sets: []*nft.Set{hosts, ports},
		Chains: []*nft.Chain{{Name: "forward", Hook: &nft.Hook{Name: "forward"}, Rules: []nft.Rule{
			lookup("big-a", accept, nft.IPSaddr),
			lookup("big-ap", accept, nft.IPDaddr, nft.L4Proto, nft.THDport),
		}}},
	})
}

// TestBigSets loads 100,000 addresses and 30,000 concatenated elements in one sync and reads back exactly that
// many (the library alone silently loses elements above ~2,047 per message).
func TestBigSets(t *testing.T) {
	c, ns := openNetns(t)
	want := bigTable(100_000, 30_000)
	batches := recordBatches(c)
	start := time.Now()
	if _, err := c.Sync(want); err != nil {
		t.Fatal(err)
	}
	load := time.Since(start)
	if len(*batches) != 1 {
		t.Fatalf("%d batches, want 1", len(*batches))
	}
	t.Logf("sync of 130,000 elements: %v in one batch of %d messages", load, len((*batches)[0]))

	c2, err := Open("/run/netns/" + ns)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	start = time.Now()
	got, err := c2.Read()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("read of 130,000 elements: %v", time.Since(start))
	for _, name := range []string{"big-a", "big-ap"} {
		if g, w := len(findSet(got, name).Elements), len(findSet(want, name).Elements); g != w {
			t.Errorf("set %s: kernel holds %d elements, want %d", name, g, w)
		}
	}
	if p := nft.Diff(got, want); !p.Empty() {
		t.Fatalf("kernel differs: %d elements to delete, %d to add", len(p.DelElements["big-a"]), len(p.AddElements["big-a"]))
	}

	// One element in, one out, against the 100,000.
	next := clone(want)
	s := findSet(next, "big-a")
	s.Elements[0] = nft.Element{Addr: addr("11.0.0.1"), AddrLast: addr("11.0.0.1")}
	nft.SortElements(s.Elements)
	start = time.Now()
	p, err := c.Sync(next)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sync of a one-element change against 100,000: %v", time.Since(start))
	if len(p.AddElements["big-a"]) != 1 || len(p.DelElements["big-a"]) != 1 || len(p.AddSets) != 0 {
		t.Fatalf("plan %+v", p)
	}
	if got, err = c2.Read(); err != nil {
		t.Fatal(err)
	}
	if p := nft.Diff(got, next); !p.Empty() {
		t.Fatalf("kernel differs after the update: %+v", p)
	}
}

// BenchmarkSyncOneElement adds or removes one element of a 10,000-element set per sync.
func BenchmarkSyncOneElement(b *testing.B) {
	_, path := netnstest.New(b, "k")
	c, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	base := bigTable(10_000, 0)
	base.Sets = base.Sets[:1]
	base.Chains[0].Rules = base.Chains[0].Rules[:1]
	with := clone(base)
	s := findSet(with, "big-a")
	s.Elements = append(s.Elements, nft.Element{Addr: addr("11.0.0.1"), AddrLast: addr("11.0.0.1")})
	if _, err := c.Sync(base); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		want := base
		if i%2 == 0 {
			want = with
		}
		if _, err := c.Sync(want); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyOneElement is the kernel's share of BenchmarkSyncOneElement: the one-element plan, encoded and
// sent as a batch, without the diff.
func BenchmarkApplyOneElement(b *testing.B) {
	_, path := netnstest.New(b, "k")
	c, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	base := bigTable(10_000, 0)
	if _, err := c.Sync(base); err != nil {
		b.Fatal(err)
	}
	defs := map[string]*nft.Set{"big-a": findSet(base, "big-a")}
	e := []nft.Element{{Addr: addr("11.0.0.1"), AddrLast: addr("11.0.0.1")}}
	add := &nft.Plan{AddElements: map[string][]nft.Element{"big-a": e}}
	del := &nft.Plan{DelElements: map[string][]nft.Element{"big-a": e}}
	b.ResetTimer()
	for i := range b.N {
		p := add
		if i%2 == 1 {
			p = del
		}
		if err := c.apply(p, defs); err != nil {
			b.Fatal(err)
		}
	}
}

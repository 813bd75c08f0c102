package kernel

import (
	"slices"
	"testing"

	"github.com/nftpolicy/nftpolicy/nft"
)

func portSpan(p1, p2 uint16) nft.Element { return nft.Element{Port: p1, PortLast: p2} }

// edgeTable has the interval corner cases: adjacent ranges, whole address spaces, ranges and single values at
// the very top of the key space, single-field port and protocol interval sets.
func edgeTable() *nft.Table {
	return canonical(&nft.Table{Sets: []*nft.Set{
		{Name: "adj", Key: v4, Interval: true, Elements: []nft.Element{
			span("10.0.0.0", "10.0.0.255"), span("10.0.1.0", "10.0.1.255"), exact("10.0.2.5"), exact("10.0.2.6"),
		}},
		{Name: "all4", Key: v4, Interval: true, Elements: []nft.Element{span("0.0.0.0", "255.255.255.255")}},
		{Name: "all6", Key: v6, Interval: true, Elements: []nft.Element{span("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}},
		{Name: "top6", Key: v6, Interval: true, Elements: []nft.Element{
			exact("::"), span("ffff::5", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
		}},
		{Name: "top4", Key: v4, Elements: []nft.Element{exact("0.0.0.0"), exact("255.255.255.255")}},
		{Name: "ports", Key: []nft.KeyType{nft.InetService}, Interval: true, Elements: []nft.Element{
			portSpan(0, 0), portSpan(1, 1023), portSpan(8080, 8080), portSpan(65535, 65535),
		}},
		{Name: "protos", Key: []nft.KeyType{nft.InetProto}, Interval: true, Elements: []nft.Element{
			{Proto: tcp}, {Proto: udp}, {Proto: 255},
		}},
		{Name: "svc", Key: []nft.KeyType{nft.InetService}, Elements: []nft.Element{portSpan(53, 53), portSpan(65535, 65535)}},
	}})
}

// TestIntervalEdges programs the corner cases, changes them element by element, and reads back the model each
// time; nft lists the same elements as the model renders.
func TestIntervalEdges(t *testing.T) {
	c, ns := openNetns(t)
	steps := []func(*nft.Table){
		func(*nft.Table) {},
		func(t *nft.Table) { // remove a range whose start is the previous range's end
			s := findSet(t, "adj")
			s.Elements = slices.DeleteFunc(s.Elements, func(e nft.Element) bool { return e == span("10.0.1.0", "10.0.1.255") })
		},
		func(t *nft.Table) { // and put it back; change a single value next to another
			s := findSet(t, "adj")
			s.Elements = append(s.Elements, span("10.0.1.0", "10.0.1.255"))
			s.Elements = slices.DeleteFunc(s.Elements, func(e nft.Element) bool { return e == exact("10.0.2.6") })
			s.Elements = append(s.Elements, span("10.0.2.6", "10.0.2.9"))
		},
		func(t *nft.Table) { // move ranges off and onto the top of the space
			findSet(t, "ports").Elements = []nft.Element{portSpan(1, 1023), portSpan(65000, 65535)}
			findSet(t, "all4").Elements = []nft.Element{span("0.0.0.0", "127.255.255.255"), exact("255.255.255.255")}
			findSet(t, "top6").Elements = []nft.Element{span("ffff::4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe")}
			findSet(t, "protos").Elements = []nft.Element{{Proto: 100}, {Proto: 254}}
		},
	}
	want := edgeTable()
	for i, step := range steps {
		want = clone(want)
		step(want)
		canonical(want)
		if _, err := c.Sync(want); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		c2, err := Open("/run/netns/" + ns)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c2.Read()
		c2.Close()
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, got, want)
		listed := setElements(nftIn(t, ns, "", "list", "table", "inet", nft.TableName))
		for name, elems := range setElements(want.Text()) {
			if !slices.Equal(listed[name], elems) {
				t.Errorf("step %d: set %s: nft lists\n  %q\nthe model renders\n  %q", i, name, listed[name], elems)
			}
		}
	}
}

// TestAdoptEdges loads the corner cases with nft -f and reads them back.
func TestAdoptEdges(t *testing.T) {
	c, ns := openNetns(t)
	want := edgeTable()
	nftIn(t, ns, want.Text(), "-f", "-")
	got, err := c.Read()
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, got, want)
}

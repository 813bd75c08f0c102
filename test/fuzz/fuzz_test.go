package fuzz

import (
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// FuzzBuildCompile decodes each input into a cluster (decode_test.go), builds, compiles and programs it into a
// network namespace of its own, and checks what doc.go lists. The namespace and the netlink connection are made
// once per fuzz process, before f.Fuzz; every input starts from the table of an empty cluster, so it does not
// depend on the one before. Not being root fails the test.
func FuzzBuildCompile(f *testing.F) {
	for _, s := range seeds() {
		f.Add(s)
	}
	ns, path := netnstest.New(f, "fz")
	conn, err := kernel.Open(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { conn.Close() })
	// Each input starts from the table of a cluster without pods: syncing back to it is an incremental batch that
	// keeps the base chain, where deleting the table and creating it again would take twice as long (the kernel
	// unregisters and registers the hook).
	empty := compiler.Compile(&ir.Node{})

	f.Fuzz(func(t *testing.T, data []byte) {
		d := decode(data)
		checkBuilder(t, d)
		var prev *nft.Table
		if d.prev != nil {
			if n := buildChecked(t, d, *d.prev, "marked state"); n != nil {
				prev = compileChecked(t, n)
			}
		}
		n := buildChecked(t, d, d.cur, "cluster")
		if n == nil {
			return
		}
		tab := compileChecked(t, n)
		d2 := decode(data)
		n2, err := build.Node(d2.cur, d2.node)
		if err != nil {
			t.Fatalf("the input decoded again does not build: %v", err)
		}
		if a, b := tab.Text(), compiler.Compile(n2).Text(); a != b {
			t.Fatalf("the input decoded again renders differently:\n%s\n---\n%s", a, b)
		}
		syncChecked(t, conn, empty, prev, tab)
		if textSampled(data) {
			nftLoads(t, ns, conn, tab)
		}
	})
}

// syncChecked syncs start (the first input of a process creates the table with it), then each table that is not
// nil in turn, reading the table back after each: the kernel must accept every batch and hold exactly the table.
func syncChecked(t *testing.T, c *kernel.Conn, start *nft.Table, tabs ...*nft.Table) {
	t.Helper()
	if _, err := c.Sync(start); err != nil {
		t.Fatalf("sync the table of an empty cluster: %v", err)
	}
	what := "from the table of an empty cluster"
	for _, tab := range tabs {
		if tab == nil {
			continue
		}
		if _, err := c.Sync(tab); err != nil {
			t.Fatalf("sync %s: the kernel refused the table: %v\n%s", what, err, tab.Text())
		}
		got, err := c.Read()
		if err != nil {
			t.Fatalf("read back after sync %s: %v", what, err)
		}
		if p := nft.Diff(got, tab); !p.Empty() {
			t.Fatalf("after sync %s, the table read back differs from the compiled one: %+v\nread back:\n%s\ncompiled:\n%s",
				what, p, got.Text(), tab.Text())
		}
		if p := nft.Diff(tab, got); !p.Empty() {
			t.Fatalf("after sync %s, the compiled table differs from the one read back: %+v", what, p)
		}
		what = "from the marked state"
	}
}

package fuzz

import (
	"hash/crc32"
	"testing"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// textSampled picks the inputs whose rendered text is also loaded with `nft -f` (one in 64, by a checksum of the
// input, so a failing input fails again): a load replaces the whole table, about 27 ms, some twenty inputs' worth.
func textSampled(data []byte) bool { return crc32.ChecksumIEEE(data)%64 == 0 }

// nftLoads loads the table's text with `nft -f` into the namespace ns in place of the table there, as an operator
// loads `kubectl nftpolicy render`, and reads it back through c: nft must accept the text and the kernel then
// hold exactly the compiled table.
func nftLoads(t *testing.T, ns string, c *kernel.Conn, tab *nft.Table) {
	t.Helper()
	script := "add table inet " + nft.TableName + "\ndelete table inet " + nft.TableName + "\n" + tab.Text()
	if _, err := netnstest.Exec(t, ns, script, "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f refused the rendered text: %v\n%s", err, tab.Text())
	}
	got, err := c.Read()
	if err != nil {
		t.Fatalf("read back after nft -f: %v", err)
	}
	if p := nft.Diff(got, tab); !p.Empty() {
		t.Fatalf("the text loaded by nft -f reads back differently: %+v\nread back:\n%s\ncompiled:\n%s", p, got.Text(), tab.Text())
	}
	if p := nft.Diff(tab, got); !p.Empty() {
		t.Fatalf("the compiled table differs from the text loaded by nft -f: %+v", p)
	}
}

// TestSeedsLoadWithNft loads the rendered text of every seed that builds with `nft -f`, as FuzzBuildCompile does
// for the inputs textSampled picks.
func TestSeedsLoadWithNft(t *testing.T) {
	ns, path := netnstest.New(t, "fzt")
	c, err := kernel.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	built := 0
	for _, s := range seeds() {
		d := decode(s)
		n, err := build.Node(d.cur, d.node)
		if err != nil {
			continue
		}
		built++
		nftLoads(t, ns, c, compiler.Compile(n))
	}
	if built < 8 {
		t.Fatalf("only %d seeds build", built)
	}
}

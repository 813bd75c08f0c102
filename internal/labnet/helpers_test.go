package labnet

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root: it creates network namespaces (CI runs as root)")
	}
}

var allPorts = []Port{{TCP, 80}, {UDP, 53}, {SCTP, 9999}}

// newNet makes a lab in a temporary state root, closed in t.Cleanup.
func newNet(t *testing.T, topo Topology) *Net {
	t.Helper()
	requireRoot(t)
	n, err := New(Config{Topology: topo, ProbeTimeout: 500 * time.Millisecond, StateRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return n
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

func mustAddPod(t *testing.T, n *Net, key string, ips ...string) {
	t.Helper()
	if err := n.AddPod(key, addrs(ips...), allPorts); err != nil {
		t.Fatal(err)
	}
}

func mustAddExternal(t *testing.T, n *Net, ip string) {
	t.Helper()
	if err := n.AddExternal(netip.MustParseAddr(ip), allPorts); err != nil {
		t.Fatal(err)
	}
}

// probeCase is one probe and its expected outcome.
type probeCase struct {
	from string
	to   netip.Addr
	port Port
	want bool
}

// maxProbes bounds the probes expectProbes runs at once (each holds an OS
// thread inside its source's namespace).
const maxProbes = 512

// expectProbes runs the probes in parallel and fails the test for every
// wrong result or error.
func expectProbes(t *testing.T, n *Net, cases []probeCase) {
	t.Helper()
	got := make([]bool, len(cases))
	errs := make([]error, len(cases))
	sem := make(chan struct{}, maxProbes)
	var wg sync.WaitGroup
	for i, c := range cases {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			got[i], errs[i] = n.Probe(context.Background(), c.from, c.to, c.port)
		})
	}
	wg.Wait()
	// A probe that came out wrong is sent once more and the second answer counts, as the lab does: with every
	// package's tests running at once, a first answer can miss the 1 s timeout; a broken wiring fails twice.
	for i, c := range cases {
		if errs[i] != nil || got[i] != c.want {
			t.Logf("probe %s -> %s %s = %v, %v; want %v: sending it again", c.from, c.to, c.port, got[i], errs[i], c.want)
			got[i], errs[i] = n.Probe(context.Background(), c.from, c.to, c.port)
		}
	}
	bad := 0
	for i, c := range cases {
		if errs[i] != nil || got[i] != c.want {
			if bad++; bad <= 20 {
				t.Errorf("probe %s -> %s %s = %v, %v; want %v", c.from, c.to, c.port, got[i], errs[i], c.want)
			}
		}
	}
	if bad > 20 {
		t.Errorf("... %d wrong probes of %d", bad, len(cases))
	}
}

// endpointIPs lists the probe keys and addresses of a test lab.
type ep struct {
	key string
	ips []netip.Addr
}

// allPairs probes every address of every endpoint from every other
// endpoint that has its family, on ports.
func allPairs(eps []ep, ports []Port, want bool) []probeCase {
	var out []probeCase
	for _, src := range eps {
		for _, dst := range eps {
			if src.key == dst.key {
				continue
			}
			for _, to := range dst.ips {
				if !slices.ContainsFunc(src.ips, func(a netip.Addr) bool { return a.Is4() == to.Is4() }) {
					continue
				}
				for _, p := range ports {
					out = append(out, probeCase{src.key, to, p, want})
				}
			}
		}
	}
	return out
}

// labNetns lists the namespaces whose names start with the lab's id.
func labNetns(t *testing.T, id string) []string {
	t.Helper()
	m, err := filepath.Glob("/run/netns/" + id + "-*")
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i] = filepath.Base(m[i])
	}
	return m
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Errorf("no error, want one mentioning %q", parts)
		return
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

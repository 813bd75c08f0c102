package bench

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nftpolicy/nftpolicy/internal/labnet"
)

// datapathRounds is how many interleaved rounds each configuration is measured in.
const datapathRounds = 7

// BenchmarkDatapath measures what each ruleset costs a packet, in a lab node of each topology (routed, and
// bridge with br_netfilter): the median time of a new TCP connection from the client pod to the server pod
// (connect, a one-byte exchange, close) and of a one-byte request/response on an established connection, each
// as a ratio to no filtering at all measured just before on the same testbed. Configurations: conntrack only,
// nftpolicy's ruleset at 10/1,000/10,000 policies with 100/10,000/50,000 pods (the server selected by 2/21/201
// of them), and the naive rule-per-peer reference of the same policies (see Naive). Every configuration is
// measured in each of datapathRounds rounds, in a rotated order, each paired with its own no-filter phase, so
// slow drifts of the machine fall on both sides of a ratio. Before every measurement the client must reach
// the server and the intruder must not.
//
// Metrics per configuration: new-conn-x and rr-x (ratio to no filter; median and -min/-max over the rounds),
// new-conn-µs and rr-µs (absolute medians), drop-x and drop-µs (a UDP datagram from the intruder to the server:
// dropped by the enforcing rulesets, the time of its sendto, in which the node forwards or drops it), and for
// nftpolicy and naive vs-conntrack-x (ratio to conntrack only, from the same rounds) and vs-10-policies-x (to
// its own cost at 10 policies); rules is the number of rules the new connection walks where that is countable
// (conntrack, naive). nftpolicy-10000-bare is the largest size compiled without counters and drop logging;
// nftpolicy-10000 reports vs-bare-x and drop-vs-bare-x against it: what counting and logging cost.
// nftpolicy-cnp is the largest size with 100 ClusterNetworkPolicies on the client and server whose rules never
// match their traffic (DatapathTiersCluster): every tier lookup misses. It reports vs-nftpolicy-x,
// drop-vs-nftpolicy-x and rr-vs-nftpolicy-x against nftpolicy-10000: what the tiers cost a packet.
func BenchmarkDatapath(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Fatal("needs root: the testbed is network namespaces")
	}
	start := time.Now()
	sets, err := rulesets(datapathSizes)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("rulesets built in %s", time.Since(start).Round(time.Millisecond))
	for _, topo := range []labnet.Topology{labnet.Routed, labnet.Bridge} {
		b.Run(string(topo), func(b *testing.B) {
			res := measureDatapath(b, newBed(b, topo), sets)
			for _, name := range res.order {
				b.Run(name, func(b *testing.B) { res.report(b, name) })
			}
		})
	}
}

// datapathResults holds per-round figures of every configuration.
type datapathResults struct {
	order []string
	// conn and rr are ratios to the paired no-filter phase, one per round; absConn and absRR the medians
	// themselves (for no-filter: every no-filter phase).
	conn, rr, drop, absConn, absRR, absDrop map[string][]float64
	rules                                   map[string]int
}

func measureDatapath(b *testing.B, d *bed, sets []ruleset) *datapathResults {
	res := &datapathResults{order: []string{"no-filter"}, conn: map[string][]float64{}, rr: map[string][]float64{},
		drop: map[string][]float64{}, absConn: map[string][]float64{}, absRR: map[string][]float64{},
		absDrop: map[string][]float64{}, rules: map[string]int{}}
	for _, s := range sets {
		res.order = append(res.order, s.name)
		res.rules[s.name] = s.rules
	}
	if _, err := d.measure(); err != nil { // warm-up: caches, neighbour entries, the server's thread
		b.Fatal(err)
	}
	for round := 0; round < datapathRounds; round++ {
		t0 := time.Now()
		for i := range sets {
			s := sets[(i+round)%len(sets)]
			base, err := d.measure()
			if err != nil {
				b.Fatalf("round %d, no filter before %s: %v", round, s.name, err)
			}
			if err := s.load(d); err != nil {
				b.Fatalf("load %s: %v", s.name, err)
			}
			if err := d.check(s.enforcing); err != nil {
				b.Fatalf("%s: %v", s.name, err)
			}
			got, err := d.measure()
			if err != nil {
				b.Fatalf("round %d, %s: %v", round, s.name, err)
			}
			if err := s.unload(d); err != nil {
				b.Fatalf("unload %s: %v", s.name, err)
			}
			res.add("no-filter", base, base)
			res.add(s.name, got, base)
		}
		b.Logf("round %d: %s", round, time.Since(t0).Round(time.Millisecond))
	}
	return res
}

func (r *datapathResults) add(name string, got, base sample) {
	r.conn[name] = append(r.conn[name], float64(got.connect)/float64(base.connect))
	r.rr[name] = append(r.rr[name], float64(got.roundTrip)/float64(base.roundTrip))
	r.absConn[name] = append(r.absConn[name], float64(got.connect)/1e3)
	r.absRR[name] = append(r.absRR[name], float64(got.roundTrip)/1e3)
	r.drop[name] = append(r.drop[name], float64(got.drop)/float64(base.drop))
	r.absDrop[name] = append(r.absDrop[name], float64(got.drop)/1e3)
}

// report writes the metrics of one configuration (see BenchmarkDatapath).
func (r *datapathResults) report(b *testing.B, name string) {
	per := func(a, c []float64) []float64 {
		out := make([]float64, len(a))
		for i := range a {
			out[i] = a[i] / c[i]
		}
		return out
	}
	reportSpread(b, "new-conn-µs", r.absConn[name])
	reportSpread(b, "rr-µs", r.absRR[name])
	reportSpread(b, "drop-µs", r.absDrop[name])
	if name == "no-filter" {
		return
	}
	reportSpread(b, "new-conn-x", r.conn[name])
	reportSpread(b, "rr-x", r.rr[name])
	reportSpread(b, "drop-x", r.drop[name])
	if bare := name + "-bare"; len(r.conn[bare]) > 0 {
		// Counters and drop logging against none, same policies, same rounds.
		reportSpread(b, "vs-bare-x", per(r.conn[name], r.conn[bare]))
		reportSpread(b, "drop-vs-bare-x", per(r.drop[name], r.drop[bare]))
	}
	if name == tiersName {
		// The tiers against the same NetworkPolicies without them, same rounds.
		largest := "nftpolicy-" + strconv.Itoa(datapathSizes[len(datapathSizes)-1].policies)
		reportSpread(b, "vs-nftpolicy-x", per(r.conn[name], r.conn[largest]))
		reportSpread(b, "drop-vs-nftpolicy-x", per(r.drop[name], r.drop[largest]))
		reportSpread(b, "rr-vs-nftpolicy-x", per(r.rr[name], r.rr[largest]))
	}
	if strings.HasSuffix(name, "-bare") {
		return
	}
	if kind, _, ok := strings.Cut(name, "-"); ok && (kind == "nftpolicy" || kind == "naive") {
		reportSpread(b, "vs-conntrack-x", per(r.conn[name], r.conn["conntrack"]))
		reportSpread(b, "vs-10-policies-x", per(r.conn[name], r.conn[kind+"-"+strconv.Itoa(datapathSizes[0].policies)]))
	}
	if n := r.rules[name]; n > 0 {
		b.ReportMetric(float64(n), "rules")
	}
}

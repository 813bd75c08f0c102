package conformance

// Our evaluator (compiler/eval) against the truth tables, without root and without packets: for every case and
// step, the step's objects at made-up addresses (ModelAddresses) go through build.Node(cluster, "") (every pod
// local, so both sides of every probe are in one IR) and eval.Check, in both families; every probe must get
// upstream's expectation. A disagreement means the evaluator, the builder or the table is wrong; the same tables
// hold the compiled ruleset to real packets (TestConformance, as root), so a builder bug shows in both.
//
// The node-peer probes go to the node's address here as there: the evaluator judges the client's egress to it,
// and the node, which is no pod of the IR, does not restrict.

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

func TestEvaluatorAgreesWithTruthTables(t *testing.T) {
	var a ModelAddresses
	var steps, checks, wrong int
	for _, tc := range Cases() {
		for i, st := range tc.Steps {
			steps++
			where := fmt.Sprintf("%s step %d %q", tc.Name, i, st.Name())
			c, err := clusterFor(tc, st, a)
			if err != nil {
				t.Fatalf("%s: objects: %v", where, err)
			}
			n, err := build.Node(c, "")
			if err != nil {
				t.Errorf("%s: build.Node: %v", where, err)
				continue
			}
			ev := eval.New(n)
			for _, p := range st.Probes {
				for _, fam := range []int{4, 6} {
					checks++
					src, dst := targetIP(a, p.From, fam), targetIP(a, p.To, fam)
					v := ev.Check(src, dst, irProtocol(t, p.Protocol), uint16(p.Port))
					if v.Allowed != p.Allowed {
						wrong++
						t.Errorf("%s: %s over IPv%d (%s -> %s): eval says %s", where, p, fam, src, dst, v)
					}
				}
			}
		}
	}
	t.Logf("evaluator: %d cases, %d steps, %d probe×family checks, %d wrong", len(Cases()), steps, checks, wrong)
	if steps != 128 || checks != 2*397 {
		t.Errorf("checked %d steps and %d probes×families; want 128 and %d", steps, checks, 2*397)
	}
}

func irProtocol(t *testing.T, p corev1.Protocol) ir.Protocol {
	t.Helper()
	switch p {
	case TCP:
		return ir.TCP
	case UDP:
		return ir.UDP
	case SCTP:
		return ir.SCTP
	}
	t.Fatalf("protocol %q", p)
	return 0
}

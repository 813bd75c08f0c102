package e2e

// Our evaluator (compiler/eval) against the truth tables, without root and without packets: for every case,
// step and family, the step's objects with fakeEnv addresses go through build.Node(cluster, "") (every pod
// local, so both sides of every pair are in one IR) and eval; every pod-to-pod cell of every probe must agree.
//
// A disagreement means the evaluator, the builder or the table is wrong. The same tables hold the ruleset
// compiled from the same IR to real packets (TestUpstreamSuite, TestExtraCases, as root), so a builder bug
// shows in both, an evaluator bug only here.
//
// Not checked here:
//   - Step.NodeProbes (probes from the node hosting a pod to it, in the case "node: the local node reaches its
//     pods under default-deny ingress everywhere"): node traffic is allowed by where the ruleset hooks (the
//     node's own output is never filtered), not by the policies, and the node is no pod of the IR. The pod
//     probes of that step are checked like any other.
//   - The pod -> itself cells (From == To): that traffic never leaves the pod's network namespace; the tables
//     set them to allowed, and eval answers SamePod for them, which is no test of the policies.
// Every other cell of every table is judged: a Reachability has no "not judged" cells.

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

func TestEvaluatorAgreesWithTruthTables(t *testing.T) {
	var cases, runs, steps, probes, cells, disagreements int
	for _, tc := range allCases() {
		cases++
		for _, fam := range familiesOf(tc) {
			runs++
			e := fakeEnv{family: fam}
			for i, st := range tc.Steps {
				steps++
				where := fmt.Sprintf("%s/IPv%d/step %d (%s)", tc.Name, fam, i, st.Name)
				n, err := build.Node(ModelCluster(tc, st, e), "")
				if err != nil {
					t.Errorf("%s: build.Node: %v", where, err)
					continue
				}
				ev := eval.New(n)
				for _, pe := range st.Probes {
					probes++
					proto := irProtocol(t, pe.Protocol)
					var bad []string
					for _, from := range AllPods() {
						for _, to := range AllPods() {
							if from == to {
								continue
							}
							cells++
							src, dst := modelAddr(e, from), modelAddr(e, to)
							v := ev.Check(src, dst, proto, uint16(pe.Port))
							if want := pe.Expect.Allowed(from, to); v.Allowed != want {
								bad = append(bad, fmt.Sprintf("  %s (%s) -> %s (%s): table says %s, eval says %s",
									from, src, to, dst, verdict(want), v))
							}
						}
					}
					if len(bad) > 0 {
						disagreements += len(bad)
						t.Errorf("%s: %s/%d: %d pairs disagree with the truth table:\n%s", where, pe.Protocol, pe.Port,
							len(bad), strings.Join(bad, "\n"))
					}
				}
			}
		}
	}
	t.Logf("checked %d cases (%d case×family runs), %d steps and %d probes over those runs, %d pod pairs; %d disagreements",
		cases, runs, steps, probes, cells, disagreements)
	if cases == 0 || steps == 0 || probes == 0 || cells == 0 {
		t.Fatalf("nothing checked: %d cases, %d steps, %d probes, %d pairs", cases, steps, probes, cells)
	}
}

func irProtocol(t *testing.T, p corev1.Protocol) ir.Protocol {
	t.Helper()
	switch p {
	case corev1.ProtocolTCP:
		return ir.TCP
	case corev1.ProtocolUDP:
		return ir.UDP
	case corev1.ProtocolSCTP:
		return ir.SCTP
	}
	t.Fatalf("protocol %q", p)
	return 0
}

// modelAddr is the address of pod ("ns/pod") in the family under test.
func modelAddr(e Env, pod string) netip.Addr {
	ns, name := splitPod(pod)
	return podAddr(e, ns, name)
}

package controllers

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/go-logr/logr"

	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/conntrack"
)

// strictMode cuts, after a sync, the connections the new table would not let start. The forward chain accepts
// established traffic first, so without it a connection a policy change denies keeps flowing until it ends;
// strict mode deletes its conntrack entry, and its next packet has to pass the policy rules like a new one
// (where the compiled guard, compiler.Options.Strict, drops it: it is a TCP segment that is not a SYN).
type strictMode struct {
	// open opens the conntrack table of the agent's network namespace for one pass.
	open func() (conntrackTable, error)
	// ownAddrs lists the addresses of the namespace's own interfaces. A flow from or to one of them is the
	// node's own traffic (output and input hooks), which the ruleset never filters: strict mode leaves it alone.
	ownAddrs func() ([]netip.Addr, error)
}

// conntrackTable is what strict mode needs of conntrack; *conntrack.Conn is the real one.
type conntrackTable interface {
	Flows() ([]conntrack.Flow, error)
	Delete(flows []conntrack.Flow) (int, error)
	Close() error
}

var _ conntrackTable = (*conntrack.Conn)(nil)

// cutResult says what one strict pass found and did.
type cutResult struct {
	flows   int              // TCP, UDP and SCTP entries looked at
	denied  []conntrack.Flow // those the new table denies
	deleted int              // entries deleted (an entry that went away meanwhile is not counted)
	// verdicts are the evaluator's explanations of denied, for the log.
	verdicts []eval.Verdict
}

// cut deletes the conntrack entries of the flows that node n's table denies.
//
// A flow is judged as the forward hook saw its first packet: after DNAT (kube-proxy's, for a Service) and
// before SNAT. So the source is the original tuple's source, and the destination is the reply tuple's source
// (the pod the Service chose), on the reply tuple's source port. Only a flow that eval.Check denies is cut: a
// side of it is a pod of this node that is isolated and that no rule allows. Flows in audit mode pass (they
// would be denied only if enforced) and are kept; so are flows between non-pods, and flows of the node itself.
func (m *strictMode) cut(n *ir.Node) (cutResult, error) {
	var res cutResult
	own, err := m.ownAddrs()
	if err != nil {
		return res, fmt.Errorf("addresses of the node's network namespace: %w", err)
	}
	isOwn := make(map[netip.Addr]bool, len(own))
	for _, a := range own {
		isOwn[a] = true
	}
	ct, err := m.open()
	if err != nil {
		return res, err
	}
	flows, err := ct.Flows()
	if err == nil {
		res.flows, res.denied, res.verdicts = denied(eval.New(n), flows, isOwn)
		if len(res.denied) > 0 {
			res.deleted, err = ct.Delete(res.denied)
		}
	}
	return res, errors.Join(err, ct.Close())
}

// denied picks the flows ev denies among flows, skipping the node's own (isOwn) and every protocol a policy
// cannot name. flows counts those it looked at.
func denied(ev *eval.Evaluator, all []conntrack.Flow, isOwn map[netip.Addr]bool) (flows int, out []conntrack.Flow,
	verdicts []eval.Verdict) {
	for _, f := range all {
		proto := ir.Protocol(f.Proto)
		if proto != ir.TCP && proto != ir.UDP && proto != ir.SCTP {
			continue
		}
		flows++
		if isOwn[f.Src] || isOwn[f.ReplySrc] {
			continue
		}
		if v := ev.Check(f.Src, f.ReplySrc, proto, f.ReplySrcPort); !v.Allowed {
			out = append(out, f)
			verdicts = append(verdicts, v)
		}
	}
	return flows, out, verdicts
}

// strictRetry is how soon a failed strict pass is tried again when no event brings a sync sooner.
const strictRetry = 5 * time.Second

// cutDenied runs strict mode after a sync that applied rep.Table. A failure does not fail the sync (the table
// is in force; only the cut is missing): it is logged and counted, and the next sync tries again.
func (s *NodeSync) cutDenied(log logr.Logger, rep *Report) {
	start := s.now()
	res, err := s.strict.cut(rep.Node)
	rep.StrictCut, rep.StrictErr = res.deleted, err
	s.strictPending = err != nil
	s.metrics.strictCut.Add(float64(res.deleted))
	if v := log.V(1); v.Enabled() {
		for i, f := range res.denied {
			v.Info("strict mode: cutting a flow the policies now deny", "flow", f.String(), "why", res.verdicts[i].String())
		}
	}
	if err != nil {
		s.metrics.strictErrors.Inc()
		log.Error(err, "strict mode: could not cut the flows the policies now deny; the table is in force, the "+
			"next sync tries again", "denied", len(res.denied), "cut", res.deleted)
		return
	}
	log.Info("strict mode: cut the established flows the policies now deny", "cut", res.deleted,
		"denied", len(res.denied), "flows", res.flows, "took", s.now().Sub(start))
}

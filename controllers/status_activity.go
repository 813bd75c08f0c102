package controllers

import (
	"slices"
	"time"

	"github.com/go-logr/logr"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// statusActivityInterval is how often the status writer reads the node's activity (recentDrops,
// busiestPolicies). Counters move with every packet and drops come in bursts: were they read at every write, a
// busy node would rewrite its status every statusMinInterval for them alone, and every node watches every pod,
// so that would be one write per node per second cluster-wide. Read every 10 s instead, they change the status
// at most that often; a write for a sync in between carries the last reading unchanged.
const statusActivityInterval = 10 * time.Second

// statusActivity are where the status writer reads the node's activity. A nil function: the agent has no such
// source (the drop log is off, or the dataplane keeps no counters), and the status field is left as it is.
type statusActivity struct {
	drops  func() []Drop                 // oldest first: (*dropLog).Recent
	counts func() ([]policyCount, error) // (*policyCounters).counts
}

func (a statusActivity) any() bool { return a.drops != nil || a.counts != nil }

// activitySample is one reading of the sources, as the status says it.
type activitySample struct {
	drops     []v1alpha1.DropRecord // nil: no drop seen by this run yet
	busiest   []v1alpha1.PolicyCounts
	hasCounts bool // the counters were read (busiest is then what they say, possibly nothing)
}

// sampleActivity reads the sources. A failed counter read keeps the previous reading of the counters: the
// metric nftpolicy_counter_read_errors_total reports such failures at every scrape, the status need not.
func (w *statusWriter) sampleActivity(log logr.Logger) {
	next := activitySample{}
	if w.sample != nil {
		next = *w.sample
	}
	if w.activity.drops != nil {
		next.drops = dropRecords(w.activity.drops())
	}
	if w.activity.counts != nil {
		counts, err := w.activity.counts()
		if err != nil {
			log.V(1).Info("reading the rule counters for the status failed", "error", err.Error())
		} else {
			next.busiest, next.hasCounts = policyCounts(counts), true
		}
	}
	w.sample = &next
}

// setActivity writes the last reading into st. Until this run has seen a drop, recentDrops stays as the object
// says: after a restart those of the previous run are still the node's last drops (a run's own list never goes
// back to empty: the drop log keeps its last ones).
func (w *statusWriter) setActivity(st *v1alpha1.NodePolicyStatusStatus) {
	if w.sample == nil {
		return
	}
	if len(w.sample.drops) > 0 {
		st.SetRecentDrops(w.sample.drops)
	}
	if w.sample.hasCounts {
		st.SetBusiestPolicies(w.sample.busiest)
	}
}

// dropRecords turns the drop log's drops (oldest first) into the status's records, newest first. Times are cut
// to the second, as the API server stores them, so that the object read back after a failed write compares equal
// to the one written. Names and addresses need no cutting: Kubernetes bounds pod and policy names within the
// CRD's maxLength.
func dropRecords(drops []Drop) []v1alpha1.DropRecord {
	if len(drops) == 0 {
		return nil
	}
	drops = drops[max(0, len(drops)-v1alpha1.MaxRecentDrops):]
	out := make([]v1alpha1.DropRecord, 0, len(drops))
	for _, d := range slices.Backward(drops) {
		out = append(out, v1alpha1.DropRecord{
			Time:      metav1.NewTime(d.At).Rfc3339Copy(),
			Direction: d.Direction,
			Src:       orAddr(d.SrcPod, d.Src),
			Dst:       orAddr(d.DstPod, d.Dst),
			SrcIP:     d.Src.String(),
			DstIP:     d.Dst.String(),
			Protocol:  d.Proto,
			Port:      int32(d.Port),
			Tier:      d.Tier,
			Policies:  slices.Clone(d.Policies[:min(len(d.Policies), v1alpha1.MaxDropPolicies)]),
			Audit:     d.Audit,
		})
	}
	return out
}

// policyCounts turns the counters' sums into the status's entries; SetBusiestPolicies picks and orders them.
func policyCounts(counts []policyCount) []v1alpha1.PolicyCounts {
	out := make([]v1alpha1.PolicyCounts, len(counts))
	for i, c := range counts {
		out[i] = v1alpha1.PolicyCounts{
			ObjectRef: v1alpha1.ObjectRef{Namespace: c.policy.Namespace, Name: c.policy.Name},
			Tier:      tierName(c.tier),
			Direction: c.direction,
			// The kernel's 64-bit counters would need centuries of traffic to pass int64.
			AllowedPackets: int64(min(c.allowed, 1<<63-1)),
			DroppedPackets: int64(min(c.dropped, 1<<63-1)),
			AuditedPackets: int64(min(c.audited, 1<<63-1)),
		}
	}
	return out
}

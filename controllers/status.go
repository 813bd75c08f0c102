package controllers

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// Pacing of status writes.
const (
	statusMinInterval = time.Second      // at most one write a second; reports in between are coalesced
	statusBackoffMax  = 30 * time.Second // retry of a failed write: 1 s, doubling, up to this
	maxErrorMessage   = 4096             // status.lastError.message's maxLength
	maxVersion        = 128              // status.agentVersion's maxLength
)

// statusWriter publishes the sync loop's reports as the node's NodePolicyStatus, from a goroutine of its own:
// the sync loop only records the report (offer never blocks) and nudges it. It creates the object, named after
// the node and owned by its Node when that exists, and writes the status subresource at most once a
// statusMinInterval, and only when something other than the times changed (docs/agent.md, "Status").
//
// The reports are folded, not queued: the last attempt (for the Synced condition), the last success (for the
// ruleset, policies and pods) and the last failure (for lastError), so coalescing loses no failure. The node's
// activity (recent drops, busiest policies) is read on a slower tick of its own (status_activity.go).
type statusWriter struct {
	node     string
	reader   client.Reader // uncached: the agent may get its NodePolicyStatus and Node, not list or watch them
	client   client.Client // writes
	version  string
	interval time.Duration
	notify   chan struct{} // size 1: a report arrived since the writer last looked

	activity      statusActivity
	activityEvery time.Duration

	mu                       sync.Mutex
	latest, success, failure *Report // nil until such a report arrives

	// Owned by Start.
	obj       *v1alpha1.NodePolicyStatus // as last read or written; nil: read it (again) before writing
	hashed    *nft.Table                 // the table whose hash is hash
	hash      string
	lastWrite time.Time
	sample    *activitySample // the last reading of activity; nil before the first
}

func newStatusWriter(node string, reader client.Reader, c client.Client, activity statusActivity) *statusWriter {
	return &statusWriter{node: node, reader: reader, client: c, version: agentVersion(),
		interval: statusMinInterval, notify: make(chan struct{}, 1),
		activity: activity, activityEvery: statusActivityInterval}
}

// offer records a sync attempt's report for the writer. It never blocks: it is called from the sync loop.
func (w *statusWriter) offer(r Report) {
	w.mu.Lock()
	w.latest = &r
	if r.Err == nil {
		w.success = &r
	} else {
		w.failure = &r
	}
	w.mu.Unlock()
	w.poke()
}

func (w *statusWriter) poke() {
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// NeedLeaderElection says the writer runs in every agent: each writes its own node's object.
func (w *statusWriter) NeedLeaderElection() bool { return false }

// Start writes the status whenever reports arrive, and reads the node's activity every activityEvery, until ctx
// ends. A failed write (API server unreachable, a conflict) is retried with backoff, reading the object again
// first; it never stops the agent.
func (w *statusWriter) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("status").WithValues("nodePolicyStatus", w.node)
	var tick <-chan time.Time // nil without activity sources: never ready
	if w.activity.any() {
		t := time.NewTicker(w.activityEvery)
		defer t.Stop()
		tick = t.C
	}
	var backoff time.Duration
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.notify:
		case <-tick:
			w.sampleActivity(log)
		}
		if !sleep(ctx, time.Until(w.lastWrite.Add(w.interval))) {
			return nil
		}
		if err := w.write(ctx, log); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			w.obj = nil
			backoff = min(max(2*backoff, time.Second), statusBackoffMax)
			log.Error(err, "writing the node's status failed; retrying", "after", backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
			w.poke()
			continue
		}
		backoff = 0
	}
}

// sleep waits for d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// write brings the object in line with the reports received, unless only times would change.
func (w *statusWriter) write(ctx context.Context, log logr.Logger) error {
	w.mu.Lock()
	latest, success, failure := w.latest, w.success, w.failure
	w.mu.Unlock()
	if latest == nil {
		return nil
	}
	if w.obj == nil {
		obj, err := w.ensure(ctx, log)
		if err != nil {
			return err
		}
		w.obj = obj
	}
	st := w.status(w.obj, latest, success, failure)
	if onlyTimesDiffer(w.obj.Status, st) {
		return nil
	}
	obj := w.obj.DeepCopy()
	obj.Status = st
	w.lastWrite = time.Now()
	if err := w.client.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("update the status of NodePolicyStatus %s: %w", w.node, err)
	}
	w.obj = obj
	return nil
}

// ensure reads the node's NodePolicyStatus, creating it when missing, and gives it its Node as owner when it
// has none: the object is then garbage-collected with the node.
func (w *statusWriter) ensure(ctx context.Context, log logr.Logger) (*v1alpha1.NodePolicyStatus, error) {
	obj := &v1alpha1.NodePolicyStatus{}
	err := w.reader.Get(ctx, client.ObjectKey{Name: w.node}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("get NodePolicyStatus %s: %w", w.node, err)
	}
	if err == nil {
		if len(obj.OwnerReferences) > 0 {
			return obj, nil
		}
		ref, ok := w.ownerRef(ctx, log)
		if !ok {
			return obj, nil
		}
		obj.OwnerReferences = []metav1.OwnerReference{ref}
		if err := w.client.Update(ctx, obj); err != nil {
			return nil, fmt.Errorf("set the owner of NodePolicyStatus %s: %w", w.node, err)
		}
		return obj, nil
	}
	obj = &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: w.node}}
	if ref, ok := w.ownerRef(ctx, log); ok {
		obj.OwnerReferences = []metav1.OwnerReference{ref}
	}
	if err := w.client.Create(ctx, obj); err != nil {
		return nil, fmt.Errorf("create NodePolicyStatus %s: %w", w.node, err)
	}
	log.Info("created the node's NodePolicyStatus", "ownedByNode", len(obj.OwnerReferences) > 0)
	return obj, nil
}

// ownerRef is a reference to the Node named after the node, when it exists. Not a controller reference, and
// without blockOwnerDeletion (which would need update on nodes/finalizers).
func (w *statusWriter) ownerRef(ctx context.Context, log logr.Logger) (metav1.OwnerReference, bool) {
	n := &corev1.Node{}
	if err := w.reader.Get(ctx, client.ObjectKey{Name: w.node}, n); err != nil {
		log.V(1).Info("no owner reference to the Node", "reason", err.Error())
		return metav1.OwnerReference{}, false
	}
	return metav1.OwnerReference{APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID}, true
}

// status is obj's status updated with the reports: a copy, so that what a previous run wrote (its lastError,
// its ruleset before this run's first success) stays unless a report replaces it.
func (w *statusWriter) status(obj *v1alpha1.NodePolicyStatus, latest, success, failure *Report) v1alpha1.NodePolicyStatusStatus {
	st := *obj.Status.DeepCopy()
	st.AgentVersion = w.version
	if success != nil {
		ts := statsOfTable(success.Table)
		var chains int
		if success.Table != nil {
			chains = len(success.Table.Chains)
		}
		st.Ruleset = v1alpha1.RulesetSummary{Hash: w.hashOf(success.Table), Chains: clamp(chains),
			Rules: clamp(ts.Rules), Sets: clamp(ts.Sets), Elements: clamp(ts.Elements)}
		st.SetPolicies(policyRefs(success.Enforced))
		st.SetPods(isolatedPods(success.Node))
		st.SetUnenforceable(unenforceable(success.Excluded))
		st.LastSyncTime = &metav1.Time{Time: success.Start.Add(success.Duration)}
		st.LastSyncDuration = &metav1.Duration{Duration: success.Duration}
	}
	if failure != nil {
		st.LastError = &v1alpha1.SyncError{Message: cut(failure.Err.Error(), maxErrorMessage),
			Time: metav1.Time{Time: failure.Start.Add(failure.Duration)}}
	}
	cond := metav1.Condition{Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonRulesetInForce, ObservedGeneration: obj.Generation,
		LastTransitionTime: metav1.Time{Time: latest.Start.Add(latest.Duration)}}
	if latest.Err != nil {
		cond.Status, cond.Reason, cond.Message = metav1.ConditionFalse, failedReason(latest.FailedStep),
			cut(latest.Err.Error(), maxErrorMessage)
	}
	meta.SetStatusCondition(&st.Conditions, cond)
	w.setActivity(&st)
	return st
}

// hashOf is the ruleset hash of t, computed once per table.
func (w *statusWriter) hashOf(t *nft.Table) string {
	if t == nil {
		return ""
	}
	if t != w.hashed {
		w.hashed, w.hash = t, v1alpha1.RulesetHash([]byte(t.Text()))
	}
	return w.hash
}

// onlyTimesDiffer reports whether next says nothing old does not, but for lastSyncTime, lastSyncDuration and
// the time of a lastError with the same message: those alone are not worth a write.
func onlyTimesDiffer(old, next v1alpha1.NodePolicyStatusStatus) bool {
	n := *next.DeepCopy()
	n.LastSyncTime, n.LastSyncDuration = old.LastSyncTime, old.LastSyncDuration
	if n.LastError != nil && old.LastError != nil && n.LastError.Message == old.LastError.Message {
		n.LastError.Time = old.LastError.Time
	}
	return apiequality.Semantic.DeepEqual(old, n)
}

// failedReason is the Synced condition's reason for a failed step (Report.FailedStep).
func failedReason(step string) string {
	switch step {
	case errRead, errDataplane:
		return v1alpha1.ReasonApplyFailed
	default:
		return v1alpha1.ReasonBuildFailed
	}
}

func policyRefs(refs []ir.PolicyRef) []v1alpha1.ObjectRef {
	out := make([]v1alpha1.ObjectRef, len(refs))
	for i, r := range refs {
		out[i] = v1alpha1.ObjectRef{Namespace: r.Namespace, Name: r.Name}
	}
	return out
}

// isolatedPods are the pods of n's groups, without duplicates.
func isolatedPods(n *ir.Node) []v1alpha1.ObjectRef {
	if n == nil {
		return nil
	}
	seen := map[ir.PodRef]bool{}
	var out []v1alpha1.ObjectRef
	for _, g := range n.Groups {
		for _, m := range g.Members {
			if !seen[m.Pod] {
				seen[m.Pod] = true
				out = append(out, v1alpha1.ObjectRef{Namespace: m.Pod.Namespace, Name: m.Pod.Name})
			}
		}
	}
	return out
}

func unenforceable(ex []Excluded) []v1alpha1.UnenforceablePolicy {
	out := make([]v1alpha1.UnenforceablePolicy, len(ex))
	for i, e := range ex {
		out[i] = v1alpha1.UnenforceablePolicy{
			ObjectRef: v1alpha1.ObjectRef{Namespace: e.Policy.Namespace, Name: e.Policy.Name},
			Reason:    cut(e.Reason, 1024), Partial: e.Partial}
	}
	return out
}

func clamp(n int) int32 { return int32(min(n, 1<<31-1)) }

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n-3], "") + "..."
}

// agentVersion is the module version the binary was built from, or its VCS revision.
func agentVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				v = "devel+" + s.Value[:min(len(s.Value), 12)]
			}
		}
	}
	return cut(v, maxVersion)
}

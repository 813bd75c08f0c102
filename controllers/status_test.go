package controllers

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// TestStatusWriterCoalescesWithoutLosingFailures folds a failure and a later success offered before the writer
// looks: one write, Synced=True, and the failure kept as lastError. Offering never blocks.
func TestStatusWriterCoalescesWithoutLosingFailures(t *testing.T) {
	scheme := newScheme(t)
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithStatusSubresource(&v1alpha1.NodePolicyStatus{}).Build()
	w := newStatusWriter(testNode, c, c, statusActivity{})
	start := time.Now()
	table := compileFor(t, cluster())
	for range 100 { // far more than the channel holds: must not block
		w.offer(Report{Start: start, Duration: time.Millisecond, Err: errors.New("boom"), FailedStep: errDataplane})
	}
	w.offer(Report{Start: start.Add(time.Second), Duration: 2 * time.Millisecond, Table: table})

	ctx := context.Background()
	if err := w.write(ctx, testr.New(t)); err != nil {
		t.Fatal(err)
	}
	nps := &v1alpha1.NodePolicyStatus{}
	if err := c.Get(ctx, client.ObjectKey{Name: testNode}, nps); err != nil {
		t.Fatal(err)
	}
	st := nps.Status
	cond := meta.FindStatusCondition(st.Conditions, v1alpha1.ConditionSynced)
	if cond == nil || cond.Status != metav1.ConditionTrue || cond.Message != "" {
		t.Errorf("Synced %+v, want True without a message", cond)
	}
	if st.LastError == nil || !strings.Contains(st.LastError.Message, "boom") {
		t.Errorf("lastError %+v, want the coalesced failure", st.LastError)
	}
	if st.Ruleset.Hash != v1alpha1.RulesetHash([]byte(table.Text())) || st.LastSyncDuration.Duration != 2*time.Millisecond {
		t.Errorf("ruleset %+v, duration %v", st.Ruleset, st.LastSyncDuration)
	}

	// The same outcome again, later: only times differ, so nothing is written.
	rv := nps.ResourceVersion
	w.offer(Report{Start: start.Add(time.Minute), Duration: 3 * time.Millisecond, Table: table})
	if err := w.write(ctx, testr.New(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: testNode}, nps); err != nil || nps.ResourceVersion != rv {
		t.Errorf("a time-only change was written: resourceVersion %s → %s (%v)", rv, nps.ResourceVersion, err)
	}

	// A failure with a step that is not the dataplane's: BuildFailed.
	w.offer(Report{Start: start.Add(2 * time.Minute), Err: errors.New("bad object"), FailedStep: errBuild})
	if err := w.write(ctx, testr.New(t)); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKey{Name: testNode}, nps); err != nil {
		t.Fatal(err)
	}
	cond = meta.FindStatusCondition(nps.Status.Conditions, v1alpha1.ConditionSynced)
	if cond.Status != metav1.ConditionFalse || cond.Reason != v1alpha1.ReasonBuildFailed || cond.Message != "bad object" {
		t.Errorf("Synced %+v, want False BuildFailed", cond)
	}
}

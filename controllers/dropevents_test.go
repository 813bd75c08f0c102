package controllers

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
)

func TestDropEventsOnePerPodPerMinute(t *testing.T) {
	rec := events.NewFakeRecorder(10)
	e := newDropEvents(rec)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	e.now = func() time.Time { return now }
	in := Drop{Direction: "ingress", Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("10.0.0.1"),
		SrcPod: "x/client", DstPod: "x/web", Proto: "tcp", Port: 80, Policies: []string{"x/web"}}
	out := Drop{Direction: "egress", Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("192.0.2.1"),
		SrcPod: "x/client", Proto: "udp", Port: 53, Policies: []string{"x/lock"}, Audit: true}
	external := Drop{Direction: "ingress", Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("192.0.2.9"),
		Proto: "tcp", Port: 80}

	e.record(in)
	e.record(in)       // the same pod within the minute: no second Event
	e.record(out)      // another pod (the source, for egress)
	e.record(external) // no pod to put it on
	now = now.Add(dropEventEvery)
	e.record(in) // a minute later: again

	var got []string
	for len(rec.Events) > 0 {
		got = append(got, <-rec.Events)
	}
	if len(got) != 3 {
		t.Fatalf("%d Events, want 3:\n%s", len(got), strings.Join(got, "\n"))
	}
	for i, want := range []string{
		"Warning PacketDropped ingress x/client -> x/web tcp/80: x/web is isolated for ingress by x/web",
		"Warning PacketWouldDrop egress x/client -> 192.0.2.1 udp/53: x/client is isolated for egress by x/lock",
		"Warning PacketDropped ingress x/client -> x/web tcp/80",
	} {
		if !strings.HasPrefix(got[i], want) {
			t.Errorf("Event %d = %q, want it to start with %q", i, got[i], want)
		}
	}
}

// TestDropEventNoteFits: a pod isolated by many long-named policies still gets its Event, its note cut to what
// events.k8s.io/v1 accepts.
func TestDropEventNoteFits(t *testing.T) {
	rec := events.NewFakeRecorder(1)
	d := Drop{Direction: "ingress", Src: netip.MustParseAddr("10.0.0.2"), Dst: netip.MustParseAddr("10.0.0.1"),
		DstPod: "x/web", Proto: "tcp", Port: 80}
	for i := range 40 {
		d.Policies = append(d.Policies, fmt.Sprintf("x/%s-%d", strings.Repeat("p", 60), i))
	}
	newDropEvents(rec).record(d)
	got := <-rec.Events
	note := strings.TrimPrefix(got, "Warning PacketDropped ")
	if len(note) > maxNoteBytes || !strings.HasSuffix(note, "...") {
		t.Errorf("note of %d bytes (at most %d), ending %q", len(note), maxNoteBytes, note[max(0, len(note)-10):])
	}
}

// TestPodsByIPFollowsAddressChanges: a pod that gets a new address (its sandbox recreated) no longer owns the old
// one; a deleted pod owns nothing; a finished pod does not take an address from a running one.
func TestPodsByIPFollowsAddressChanges(t *testing.T) {
	p := &podsByIP{byIP: map[netip.Addr]podAt{}, byKey: map[string][]netip.Addr{}}
	pod := func(name, phase string, ips ...string) *corev1.Pod {
		o := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: name}}
		o.Status.Phase = corev1.PodPhase(phase)
		for _, ip := range ips {
			o.Status.PodIPs = append(o.Status.PodIPs, corev1.PodIP{IP: ip})
		}
		return o
	}
	a1, a2 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	p.set(pod("a", "Running", "10.0.0.1"))
	p.set(pod("a", "Running", "10.0.0.2"))
	if p.get(a1) != "" || p.get(a2) != "x/a" {
		t.Errorf("after readdressing: 10.0.0.1 -> %q, 10.0.0.2 -> %q", p.get(a1), p.get(a2))
	}
	p.set(pod("old", "Succeeded", "10.0.0.2"))
	if p.get(a2) != "x/a" {
		t.Errorf("a finished pod took a running pod's address: %q", p.get(a2))
	}
	p.remove(pod("a", "Running", "10.0.0.2"))
	if p.get(a2) != "" {
		t.Errorf("deleted pod still owns 10.0.0.2: %q", p.get(a2))
	}
}

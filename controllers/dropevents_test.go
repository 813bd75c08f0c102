package controllers

import (
	"net/netip"
	"strings"
	"testing"
	"time"

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

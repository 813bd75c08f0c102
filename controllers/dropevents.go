package controllers

import (
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
)

// Reasons of the Events on pods whose packets were dropped (Options.DropEvents).
const (
	ReasonPacketDropped   = "PacketDropped"
	ReasonPacketWouldDrop = "PacketWouldDrop" // audit mode
	actionDrop            = "Drop"
	// dropEventEvery is how often at most one pod gets an Event about its drops: a denied client retrying every
	// second must not flood the API server.
	dropEventEvery = time.Minute
)

// dropEvents records an Event on the pod a drop isolated (the destination for ingress, the source for egress),
// at most one per pod per dropEventEvery.
type dropEvents struct {
	recorder events.EventRecorder
	now      func() time.Time

	mu   sync.Mutex
	last map[string]time.Time // pod "namespace/name" -> its last Event
}

func newDropEvents(r events.EventRecorder) *dropEvents {
	return &dropEvents{recorder: r, now: time.Now, last: map[string]time.Time{}}
}

func (e *dropEvents) record(d Drop) {
	pod := d.DstPod
	if d.Direction == "egress" {
		pod = d.SrcPod
	}
	ns, name, ok := strings.Cut(pod, "/")
	if !ok || !e.due(pod) {
		return
	}
	reason := ReasonPacketDropped
	if d.Audit {
		reason = ReasonPacketWouldDrop
	}
	obj := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	note := fmt.Sprintf("%s %s -> %s %s/%d: %s (at most one Event a minute per pod)", d.Direction,
		orAddr(d.SrcPod, d.Src), orAddr(d.DstPod, d.Dst), d.Proto, d.Port, d.Reason())
	e.recorder.Eventf(obj, nil, corev1.EventTypeWarning, reason, actionDrop, "%s", cutNote(note))
}

// due says whether pod may get an Event now, and if so notes it; entries older than dropEventEvery are pruned
// now and then, so the map holds at most the pods with drops in the last minute.
func (e *dropEvents) due(pod string) bool {
	now := e.now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.last[pod]; ok && now.Sub(t) < dropEventEvery {
		return false
	}
	if len(e.last) >= 1024 {
		for p, t := range e.last {
			if now.Sub(t) >= dropEventEvery {
				delete(e.last, p)
			}
		}
	}
	e.last[pod] = now
	return true
}

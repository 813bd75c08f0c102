package bench

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// agentRelabelSamples is the least number of relabels measured, whatever -benchtime says, so that the p99
// means something.
const agentRelabelSamples = 50

// relabelledApp is an app label no policy selects: a peer relabelled to it leaves every set of node-0, and
// comes back when relabelled to its own app again.
const relabelledApp = "app-relabelled"

// agentRelabel relabels pod, a peer of node-0's sets on another node, back and forth between relabelledApp and
// its own app, one relabel at a time, each waiting for the sync whose batch holds the pod's address. It
// reports:
//
//   - p50-ms, p99-ms: event→kernel as the API sees it, from the Update call returning to the report of that
//     batch (the watch event's trip through the API server and the informer included);
//   - agent-mean-ms: the agent's own nftpolicy_event_to_kernel_seconds (first watch event of a burst → batch
//     applied), the mean over the relabels;
//   - msgs/batch, elems/batch: the netlink messages of those batches (kernel.Conn.LastBatch) and the set
//     elements they add or delete, means.
func agentRelabel(b *testing.B, api *agentAPI, a *inProcAgent, pod *corev1.Pod) {
	addrs := podAddrs(pod)
	apps := [2]string{relabelledApp, pod.Labels["app"]}
	var lat []time.Duration
	msgs, elems := 0, 0
	before := histograms(b, a.reg)
	one := func() {
		a.drain()
		if err := setApp(context.Background(), api.c, pod, apps[len(lat)%2]); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		r, ok := a.waitFor(addrs, 10*time.Second)
		if !ok {
			b.Fatalf("relabel %d of %s/%s: no batch holding %v within 10s", len(lat), pod.Namespace, pod.Name, addrs)
		}
		if !onlyElements(r.Plan) {
			b.Fatalf("relabel %d: not only set elements: %s", len(lat), planShape(r.Plan))
		}
		lat = append(lat, max(0, r.at.Sub(t0)))
		msgs += r.batch.Messages
		elems += planElements(r.Plan)
	}
	for b.Loop() {
		one()
	}
	for len(lat) < agentRelabelSamples || len(lat)%2 == 1 { // an even count leaves the pod as it was
		one()
	}
	after := histograms(b, a.reg)
	n := float64(len(lat))
	b.ReportMetric(percentileMs(lat, 0.50), "p50-ms")
	b.ReportMetric(percentileMs(lat, 0.99), "p99-ms")
	b.ReportMetric(meanSince(before, after, "nftpolicy_event_to_kernel_seconds")*1000, "agent-mean-ms")
	b.ReportMetric(float64(msgs)/n, "msgs/batch")
	b.ReportMetric(float64(elems)/n, "elems/batch")
	b.Logf("%d relabels of %s/%s (%s): p50 %.1f ms, p99 %.1f ms, max %.1f ms", len(lat), pod.Namespace, pod.Name,
		pod.Spec.NodeName, percentileMs(lat, 0.5), percentileMs(lat, 0.99), durMs(lat[len(lat)-1]))
}

// setApp sets the app label of the pod named like p.
func setApp(ctx context.Context, c client.Client, p *corev1.Pod, app string) error {
	cur := &corev1.Pod{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(p), cur); err != nil {
		return fmt.Errorf("get pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	cur.Labels = maps.Clone(cur.Labels)
	cur.Labels["app"] = app
	if err := c.Update(ctx, cur); err != nil {
		return fmt.Errorf("relabel pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return nil
}

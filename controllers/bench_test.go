package controllers

import (
	"context"
	"fmt"
	"maps"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/netnstest"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
	"github.com/nftpolicy/nftpolicy/test/bench"
)

// storeInformers serves a build.Cluster from informer stores, as the manager's cache does (the informers are
// never run: the benchmark fills and changes their stores).
func storeInformers(b *testing.B, c build.Cluster) (*informertest.FakeInformers, map[string]toolscache.Store) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		b.Fatal(err)
	}
	inf := &informertest.FakeInformers{Scheme: scheme, InformersByGVK: map[schema.GroupVersionKind]toolscache.SharedIndexInformer{}}
	stores := map[string]toolscache.Store{}
	add := func(obj client.Object, kind string, objs []client.Object) {
		gvks, _, err := scheme.ObjectKinds(obj)
		if err != nil {
			b.Fatal(err)
		}
		si := toolscache.NewSharedIndexInformer(&toolscache.ListWatch{}, obj, 0, toolscache.Indexers{})
		for _, o := range objs {
			if err := si.GetStore().Add(o); err != nil {
				b.Fatal(err)
			}
		}
		inf.InformersByGVK[gvks[0]] = si
		stores[kind] = si.GetStore()
	}
	add(&corev1.Namespace{}, "ns", objects(c.Namespaces))
	add(&corev1.Pod{}, "pod", objects(c.Pods))
	add(&networkingv1.NetworkPolicy{}, "policy", objects(c.Policies))
	return inf, stores
}

func objects[T any, P interface {
	*T
	client.Object
}](xs []*T) []client.Object {
	out := make([]client.Object, len(xs))
	for i, x := range xs {
		out[i] = P(x)
	}
	return out
}

// BenchmarkRelabelSync is one pass of the loop after one peer pod's label changed, against the real kernel in a
// network namespace: list, build, compile, diff and one batch. It reports the batch's netlink messages.
func BenchmarkRelabelSync(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root (a network namespace of its own)")
	}
	for _, size := range []struct{ policies, pods int }{{1000, 5000}, {1000, 50000}} {
		b.Run(fmt.Sprintf("%dpolicies-%dpods", size.policies, size.pods), func(b *testing.B) {
			c, node := bench.Cluster(size.policies, size.pods)
			_, path := netnstest.New(b, "bench")
			conn, err := kernel.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			var last Report
			informers, stores := storeInformers(b, c)
			s, err := NewNodeSync(NodeSyncConfig{NodeName: node, Informers: informers, Dataplane: conn,
				Recorder: &events.FakeRecorder{}, OnSync: func(r Report) { last = r }})
			if err != nil {
				b.Fatal(err)
			}
			ctx, req := context.Background(), reconcile.Request{}
			if _, err := s.Reconcile(ctx, req); err != nil {
				b.Fatal(err)
			}
			// A peer on another node moves between two apps: the peer sets of the policies selecting either
			// change by an element or a few.
			relabel := func(j int, app string) {
				p := *c.Pods[j]
				p.Labels = maps.Clone(p.Labels)
				p.Labels["app"] = app
				c.Pods[j] = &p
				if err := stores["pod"].Update(&p); err != nil {
					b.Fatal(err)
				}
				s.burst.mark()
				if _, err := s.Reconcile(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			// Pick a remote pod whose relabelling changes something: namespace ns-0 (j%100 == 0) has the app→app
			// policies.
			j, apps := -1, [2]string{}
			for k := len(c.Pods) - 100; k >= 0 && j < 0; k -= 100 {
				if c.Pods[k].Spec.NodeName == node {
					continue
				}
				orig := c.Pods[k].Labels["app"]
				relabel(k, "app-relabelled")
				if statsOf(last.Plan).Elements > 0 {
					j, apps = k, [2]string{orig, "app-relabelled"}
				} else {
					relabel(k, orig)
				}
			}
			if j < 0 {
				b.Fatal("no pod whose relabelling changes the table")
			}
			messages, elements := 0, 0
			i := 0
			for b.Loop() {
				relabel(j, apps[i%2])
				i++
				st := statsOf(last.Plan)
				messages += st.Messages
				elements += st.Elements
			}
			b.ReportMetric(float64(messages)/float64(i), "msgs/op")
			b.ReportMetric(float64(elements)/float64(i), "elems/op")
		})
	}
}

package lab

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nftpolicy/nftpolicy/internal/labnet"
)

// kubelet plays scheduler and kubelet for the lab node: it binds unscheduled Pods to it, gives every Pod of the
// node a network namespace (labnet) with its address and listeners, and writes a Running status with the
// addresses, as a CNI and the kubelet would. Pods that leave the API server lose their namespace.
type kubelet struct {
	c       client.Client
	net     *labnet.Net
	node    string
	nodeIPs []netip.Addr
	alloc   *allocator
	running map[string]runningPod // by "namespace/name"
	// requested are the addresses the current scenario's manifests give pods.
	requested map[string][]netip.Addr
	// extraPorts are listened on by every pod besides its container ports (--ports × --protocols).
	extraPorts []labnet.Port
}

type runningPod struct {
	uid   types.UID
	ips   []netip.Addr
	ports []labnet.Port
}

// newKubelet returns the kubelet of node. Pods listen on extraPorts besides their own; no pod is given an
// address in reserved (the external hosts').
func newKubelet(c client.Client, n *labnet.Net, node string, cidrs []netip.Prefix, extraPorts []labnet.Port, reserved []netip.Addr) *kubelet {
	k := &kubelet{c: c, net: n, node: node, nodeIPs: n.NodeIPs(), alloc: newAllocator(cidrs),
		running: map[string]runningPod{}, requested: map[string][]netip.Addr{}, extraPorts: extraPorts}
	k.alloc.reserve(reserved)
	return k
}

// listenPorts are what pod p listens on: its container ports and the extra ones.
func (k *kubelet) listenPorts(p *corev1.Pod) []labnet.Port {
	ps := podPorts(p)
	for _, e := range k.extraPorts {
		if !slices.Contains(ps, e) {
			ps = append(ps, e)
		}
	}
	sortPorts(ps)
	return ps
}

// setRequested sets the addresses pods of the next scenario ask for, and reserves them.
func (k *kubelet) setRequested(ips map[string][]netip.Addr) {
	for _, a := range k.requested {
		k.alloc.release(a)
	}
	k.requested = ips
	for _, a := range ips {
		k.alloc.reserve(a)
	}
	for _, r := range k.running { // still in use until their pods go
		k.alloc.reserve(r.ips)
	}
}

// sync makes the node's pods match the API server.
func (k *kubelet) sync(ctx context.Context) error {
	if err := k.finishNamespaces(ctx); err != nil {
		return err
	}
	var pods corev1.PodList
	if err := k.c.List(ctx, &pods); err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	want := map[string]*corev1.Pod{}
	var gone []*corev1.Pod
	for i := range pods.Items {
		p := &pods.Items[i]
		if p.Spec.HostNetwork || (p.Spec.NodeName != "" && p.Spec.NodeName != k.node) {
			continue
		}
		if p.DeletionTimestamp != nil {
			gone = append(gone, p)
			continue
		}
		want[p.Namespace+"/"+p.Name] = p
	}
	for key, r := range k.running {
		if p, ok := want[key]; !ok || p.UID != r.uid || !slices.Equal(k.listenPorts(p), r.ports) {
			if err := k.stop(key); err != nil {
				return err
			}
		}
	}
	// As the kubelet does once a pod's containers are gone: delete the object for good, so that its address,
	// already free, is never held by two pods in the API server.
	for _, p := range gone {
		if err := client.IgnoreNotFound(k.c.Delete(ctx, p, client.GracePeriodSeconds(0))); err != nil {
			return fmt.Errorf("pod %s/%s: finish deleting: %w", p.Namespace, p.Name, err)
		}
	}
	for _, key := range sortedKeys(want) {
		if err := k.start(ctx, key, want[key]); err != nil {
			return err
		}
	}
	return nil
}

// finishNamespaces does the namespace controller's part for namespaces being deleted: their pods and policies
// go, then the namespace.
func (k *kubelet) finishNamespaces(ctx context.Context) error {
	var nss corev1.NamespaceList
	if err := k.c.List(ctx, &nss); err != nil {
		return fmt.Errorf("list namespaces: %w", err)
	}
	for i := range nss.Items {
		ns := &nss.Items[i]
		if ns.DeletionTimestamp == nil {
			continue
		}
		opts := []client.DeleteAllOfOption{client.InNamespace(ns.Name), client.GracePeriodSeconds(0)}
		if err := k.c.DeleteAllOf(ctx, &corev1.Pod{}, opts...); err != nil {
			return fmt.Errorf("namespace %s: delete its pods: %w", ns.Name, err)
		}
		if err := k.c.DeleteAllOf(ctx, &networkingv1.NetworkPolicy{}, client.InNamespace(ns.Name)); err != nil {
			return fmt.Errorf("namespace %s: delete its networkpolicies: %w", ns.Name, err)
		}
		if err := deleteNamespace(ctx, k.c, ns); err != nil {
			return fmt.Errorf("namespace %s: %w", ns.Name, err)
		}
	}
	return nil
}

func (k *kubelet) stop(key string) error {
	r := k.running[key]
	if err := k.net.RemovePod(key); err != nil {
		return fmt.Errorf("pod %s: %w", key, err)
	}
	delete(k.running, key)
	k.alloc.release(r.ips)
	if req, ok := k.requested[key]; ok {
		k.alloc.reserve(req)
	}
	return nil
}

// start binds, wires up and reports the pod, each step only when not done yet.
func (k *kubelet) start(ctx context.Context, key string, p *corev1.Pod) error {
	if p.Spec.NodeName == "" {
		b := &corev1.Binding{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, UID: p.UID},
			Target:     corev1.ObjectReference{Kind: "Node", Name: k.node},
		}
		if err := k.c.SubResource("binding").Create(ctx, p, b); err != nil {
			return fmt.Errorf("pod %s: bind to node %s: %w", key, k.node, err)
		}
		if err := k.c.Get(ctx, client.ObjectKeyFromObject(p), p); err != nil {
			return fmt.Errorf("pod %s: %w", key, err)
		}
	}
	r, ok := k.running[key]
	if !ok {
		ips := k.requested[key]
		if len(ips) == 0 {
			var err error
			if ips, err = k.alloc.next(); err != nil {
				return fmt.Errorf("pod %s: %w", key, err)
			}
		}
		r = runningPod{uid: p.UID, ips: ips, ports: k.listenPorts(p)}
		if err := k.net.AddPod(key, ips, r.ports); err != nil {
			k.alloc.release(ips)
			return err // names the pod
		}
		k.running[key] = r
	}
	if hasStatus(p, r.ips) {
		return nil
	}
	k.setStatus(p, r.ips)
	if err := k.c.Status().Update(ctx, p); err != nil {
		return fmt.Errorf("pod %s: write status: %w", key, err)
	}
	return nil
}

// hasStatus says whether the pod already shows Running with these addresses.
func hasStatus(p *corev1.Pod, ips []netip.Addr) bool {
	if p.Status.Phase != corev1.PodRunning || len(p.Status.PodIPs) != len(ips) {
		return false
	}
	for i, a := range ips {
		if p.Status.PodIPs[i].IP != a.String() {
			return false
		}
	}
	return true
}

func (k *kubelet) setStatus(p *corev1.Pod, ips []netip.Addr) {
	now := metav1.Now()
	st := corev1.PodStatus{Phase: corev1.PodRunning, StartTime: &now}
	for _, a := range ips {
		st.PodIPs = append(st.PodIPs, corev1.PodIP{IP: a.String()})
	}
	st.PodIP = st.PodIPs[0].IP
	for _, a := range k.nodeIPs {
		st.HostIPs = append(st.HostIPs, corev1.HostIP{IP: a.String()})
	}
	if len(st.HostIPs) > 0 {
		st.HostIP = st.HostIPs[0].IP
	}
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		st.Conditions = append(st.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	for _, c := range p.Spec.Containers {
		st.ContainerStatuses = append(st.ContainerStatuses, corev1.ContainerStatus{Name: c.Name, Image: c.Image,
			Ready: true, Started: ptr(true), State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}})
	}
	p.Status = st
}

func ptr[T any](v T) *T { return &v }

// endpoints returns the running pods as probe endpoints, sorted by key.
func (k *kubelet) endpoints() []endpoint {
	out := make([]endpoint, 0, len(k.running))
	for _, key := range sortedKeys(k.running) {
		r := k.running[key]
		out = append(out, endpoint{name: key, ips: r.ips, ports: r.ports})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

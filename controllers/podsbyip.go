package controllers

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
)

// podsByIP names the pod that has an address, for the drop log. It follows the Pod informer the sync loop
// already runs (no index on the cache: an index must exist before the cache starts, and an agent must be able
// to start while the API server is down). A finished pod's address may be reused, so a running pod wins.
type podsByIP struct {
	informers cache.Informers

	mu    sync.RWMutex
	byIP  map[netip.Addr]podAt
	byKey map[string][]netip.Addr // the addresses each pod had when last seen, to forget those it lost
}

type podAt struct {
	key      string // namespace/name
	finished bool   // phase Succeeded or Failed
}

// follow registers the event handler; the informer replays the pods it already has.
func (p *podsByIP) follow(ctx context.Context) error {
	p.byIP, p.byKey = map[netip.Addr]podAt{}, map[string][]netip.Addr{}
	inf, err := p.informers.GetInformer(ctx, &corev1.Pod{}, cache.BlockUntilSynced(false))
	if err != nil {
		return fmt.Errorf("drop log: pod informer: %w", err)
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { p.set(o) },
		UpdateFunc: func(_, o any) { p.set(o) },
		DeleteFunc: p.remove,
	})
	if err != nil {
		return fmt.Errorf("drop log: follow pods: %w", err)
	}
	return nil
}

func (p *podsByIP) set(o any) {
	pod, ok := o.(*corev1.Pod)
	if !ok || pod.Spec.HostNetwork {
		return
	}
	at := podAt{key: pod.Namespace + "/" + pod.Name,
		finished: pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed}
	var addrs []netip.Addr
	for _, ip := range pod.Status.PodIPs {
		if addr, err := netip.ParseAddr(ip.IP); err == nil {
			addrs = append(addrs, addr)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forget(at.key, addrs) // a recreated sandbox gives the same pod new addresses
	for _, addr := range addrs {
		if old, ok := p.byIP[addr]; ok && old.key != at.key && !old.finished && at.finished {
			continue
		}
		p.byIP[addr] = at
	}
	if len(addrs) > 0 {
		p.byKey[at.key] = addrs
	}
}

// forget drops the addresses pod key had that are not in keep, where they still name it.
func (p *podsByIP) forget(key string, keep []netip.Addr) {
	for _, addr := range p.byKey[key] {
		if !slices.Contains(keep, addr) && p.byIP[addr].key == key {
			delete(p.byIP, addr)
		}
	}
	delete(p.byKey, key)
}

func (p *podsByIP) remove(o any) {
	if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
		o = t.Obj
	}
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forget(pod.Namespace+"/"+pod.Name, nil)
}

// get returns "namespace/name" of the pod with addr, "" for none.
func (p *podsByIP) get(addr netip.Addr) string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.byIP[addr].key
}

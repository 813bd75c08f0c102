package build

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// namespaceNameLabel is the label the API server sets on every namespace to its name.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// podInfo is an eligible pod: it has an address, is not hostNetwork and not in phase Succeeded or Failed. Only
// eligible pods are ever selected or resolved as peers.
type podInfo struct {
	ref    ir.PodRef
	labels labels.Set
	ips    []netip.Addr // sorted, unique, at least one
	local  bool
	spec   *corev1.PodSpec
	src    *corev1.Pod // the object it was made from
}

// eligible reports whether p can be selected or be a peer. A hostNetwork pod's address is its node's: it is never
// matched by pod or namespace selectors, and node addresses are allowed or denied with ipBlock.
func eligible(p *corev1.Pod) bool {
	if p.Spec.HostNetwork {
		return false
	}
	if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
		return false
	}
	return len(p.Status.PodIPs) > 0 || p.Status.PodIP != ""
}

// podAddrs parses the pod's addresses: status.podIPs, or status.podIP when podIPs is empty.
func podAddrs(p *corev1.Pod) ([]netip.Addr, error) {
	parse := func(field, s string) (netip.Addr, error) {
		a, err := netip.ParseAddr(s)
		if err == nil && a.Zone() != "" {
			err = fmt.Errorf("zone %q not allowed", a.Zone())
		}
		if err != nil {
			return netip.Addr{}, fmt.Errorf("Pod %s/%s: %s: invalid IP %q: %w", p.Namespace, p.Name, field, s, err)
		}
		return a, nil
	}
	var out []netip.Addr
	if len(p.Status.PodIPs) == 0 {
		a, err := parse("status.podIP", p.Status.PodIP)
		if err != nil {
			return nil, err
		}
		return []netip.Addr{a}, nil
	}
	for i, pip := range p.Status.PodIPs {
		a, err := parse(fmt.Sprintf("status.podIPs[%d].ip", i), pip.IP)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out), nil
}

// inventory is the cluster as the builder sees it: eligible pods sorted by namespace and name, and the label
// sets of all namespaces, declared or implicit.
type inventory struct {
	pods     []podInfo
	nsNames  []string // sorted
	nsLabels map[string]labels.Set
	audit    map[string]bool // namespaces annotated ir.AuditAnnotation: "true"
	nodes    []nodeInfo      // sorted by name
}

func newInventory(c Cluster, pols []*compiled, node string) (*inventory, error) {
	pods, err := sortedPods(c.Pods)
	if err != nil {
		return nil, err
	}
	inv := &inventory{pods: make([]podInfo, 0, len(pods))}
	for _, p := range pods {
		if !eligible(p) {
			continue
		}
		pi, err := newPodInfo(p, node)
		if err != nil {
			return nil, err
		}
		inv.pods = append(inv.pods, pi)
	}
	return inv, inv.namespaces(c.Namespaces, pols)
}

// sortedPods returns the pods sorted by namespace and name, and fails on a pod listed twice.
func sortedPods(in []*corev1.Pod) ([]*corev1.Pod, error) {
	// Sort by (namespace, name) on copied keys: comparing through the large Pod structs is cache-hostile.
	type keyed struct {
		ns, name string
		p        *corev1.Pod
	}
	pods := make([]keyed, 0, len(in))
	for _, p := range in {
		if p != nil {
			pods = append(pods, keyed{p.Namespace, p.Name, p})
		}
	}
	slices.SortFunc(pods, func(a, b keyed) int {
		if c := strings.Compare(a.ns, b.ns); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	out := make([]*corev1.Pod, len(pods))
	for i, k := range pods {
		if i > 0 && pods[i-1].ns == k.ns && pods[i-1].name == k.name {
			return nil, fmt.Errorf("Pod %s/%s: listed twice", k.ns, k.name)
		}
		out[i] = k.p
	}
	return out, nil
}

// newPodInfo describes an eligible pod.
func newPodInfo(p *corev1.Pod, node string) (podInfo, error) {
	ips, err := podAddrs(p)
	if err != nil {
		return podInfo{}, err
	}
	return podInfo{
		ref:    ir.PodRef{Namespace: p.Namespace, Name: p.Name},
		labels: labels.Set(p.Labels),
		ips:    ips,
		local:  node == "" || p.Spec.NodeName == node,
		spec:   &p.Spec,
		src:    p,
	}, nil
}

// namespaces fills in the label sets of the listed namespaces and of those only pods or policies name, and the
// sorted list of their names. inv.pods must be sorted.
func (inv *inventory) namespaces(nss []*corev1.Namespace, pols []*compiled) error {
	inv.nsLabels = make(map[string]labels.Set, len(nss))
	inv.audit = map[string]bool{}
	dup := ""
	for _, ns := range nss {
		if ns == nil {
			continue
		}
		if _, ok := inv.nsLabels[ns.Name]; ok {
			// Of several, name the first by name, as for pods and policies: the error must not depend on the
			// order of the list.
			if dup == "" || ns.Name < dup {
				dup = ns.Name
			}
			continue
		}
		set := make(labels.Set, len(ns.Labels)+1)
		for k, v := range ns.Labels {
			set[k] = v
		}
		set[namespaceNameLabel] = ns.Name // the API server forces this value
		inv.nsLabels[ns.Name] = set
		if ns.Annotations[ir.AuditAnnotation] == "true" {
			inv.audit[ns.Name] = true
		}
	}
	if dup != "" {
		return fmt.Errorf("Namespace %s: listed twice", dup)
	}
	for i := range inv.pods {
		if i == 0 || inv.pods[i-1].ref.Namespace != inv.pods[i].ref.Namespace {
			inv.implicitNamespace(inv.pods[i].ref.Namespace)
		}
	}
	for _, p := range pols {
		inv.implicitNamespace(p.ref.Namespace)
	}
	inv.nsNames = make([]string, 0, len(inv.nsLabels))
	for n := range inv.nsLabels {
		inv.nsNames = append(inv.nsNames, n)
	}
	slices.Sort(inv.nsNames)
	return nil
}

// implicitNamespace makes a namespace that is referred to but not listed exist with only its name label.
func (inv *inventory) implicitNamespace(name string) {
	if _, ok := inv.nsLabels[name]; !ok {
		inv.nsLabels[name] = labels.Set{namespaceNameLabel: name}
	}
}

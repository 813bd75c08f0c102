package build

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// maxPatch is how many pod objects may have come or gone since the previous build for the Builder to patch its
// sorted pod list; beyond it, sorting everything again is as cheap.
const maxPatch = 512

// Builder builds the IR of one node again and again as the cluster changes (the agent's sync loop) and returns
// exactly what Node returns for the same Cluster. Between builds it keeps what it derived from each object,
// keyed by the object's pointer: compiled policies, and the eligible pods with their parsed addresses, sorted.
// A build then costs a pass over the objects plus the work for the ones that are new, instead of parsing and
// sorting 50,000 pods and compiling 10,000 policies every time.
//
// With several errors in one input (say, a duplicate and a bad address) the two may name different ones first.
//
// The objects passed in must never be changed afterwards — an informer's store replaces an object on update,
// never changes it — and a Builder must not be used from two goroutines at once. Any error makes the next build
// start from nothing.
type Builder struct {
	node string
	pols map[*networkingv1.NetworkPolicy]*compiled
	cnps map[*cnp.ClusterNetworkPolicy]*compiledCluster
	memo selectorMemo
	// pods are the eligible pods of the previous build, sorted by namespace and name; seen holds every pod object
	// of it, with whether it was eligible and the build that last listed it.
	pods  []podInfo
	seen  map[*corev1.Pod]seenPod
	names map[ir.PodRef]*corev1.Pod // the object of each pod name in seen
	build uint64
}

type seenPod struct {
	eligible bool
	build    uint64
}

// NewBuilder returns a Builder for the node named node ("" treats every pod as local, as Node does).
func NewBuilder(node string) *Builder { return &Builder{node: node} }

// Node builds the IR of the Builder's node from c; see the package function Node for what it returns.
func (b *Builder) Node(c Cluster) (*ir.Node, error) {
	n, err := b.node1(c)
	if err != nil {
		*b = Builder{node: b.node}
	}
	return n, err
}

func (b *Builder) node1(c Cluster) (*ir.Node, error) {
	if len(b.memo) > 2*(len(c.Policies)+len(c.ClusterPolicies))+256 { // selectors of deleted policies: start over, keep the compiled ones
		b.memo = nil
	}
	if b.memo == nil {
		b.memo = selectorMemo{}
	}
	next := make(map[*networkingv1.NetworkPolicy]*compiled, len(c.Policies))
	pols, err := compilePolicies(c.Policies, b.memo, b.pols, next)
	if err != nil {
		return nil, err
	}
	b.pols = next
	nextCluster := make(map[*cnp.ClusterNetworkPolicy]*compiledCluster, len(c.ClusterPolicies))
	cnps, err := compileClusterPolicies(c.ClusterPolicies, b.memo, b.cnps, nextCluster)
	if err != nil {
		return nil, err
	}
	b.cnps = nextCluster
	if err := b.updatePods(c.Pods); err != nil {
		return nil, err
	}
	inv := &inventory{pods: b.pods}
	if err := inv.namespaces(c.Namespaces, pols); err != nil {
		return nil, err
	}
	if inv.nodes, err = newNodes(c.Nodes); err != nil {
		return nil, err
	}
	return assemble(inv, pols, cnps, b.node), nil
}

// updatePods brings b.pods and b.seen up to date with in: patched when few objects came or went, else rebuilt.
func (b *Builder) updatePods(in []*corev1.Pod) error {
	b.build++
	if b.seen != nil {
		done, err := b.patchPods(in)
		if done || err != nil {
			return err
		}
	}
	sorted, err := sortedPods(in)
	if err != nil {
		return err
	}
	b.pods = make([]podInfo, 0, len(sorted))
	b.seen = make(map[*corev1.Pod]seenPod, len(sorted))
	b.names = make(map[ir.PodRef]*corev1.Pod, len(sorted))
	for _, p := range sorted {
		ok := eligible(p)
		b.seen[p] = seenPod{eligible: ok, build: b.build}
		b.names[ir.PodRef{Namespace: p.Namespace, Name: p.Name}] = p
		if !ok {
			continue
		}
		pi, err := newPodInfo(p, b.node)
		if err != nil {
			return err
		}
		b.pods = append(b.pods, pi)
	}
	return nil
}

// patchPods removes the pods whose objects are gone and merges in the new objects; it does nothing and returns
// false when more than maxPatch objects changed.
func (b *Builder) patchPods(in []*corev1.Pod) (bool, error) {
	var added []*corev1.Pod
	kept := 0
	for _, p := range in {
		if p == nil {
			continue
		}
		s, ok := b.seen[p]
		switch {
		case !ok && slices.Contains(added, p):
			return false, fmt.Errorf("Pod %s/%s: listed twice", p.Namespace, p.Name)
		case !ok:
			if added = append(added, p); len(added) > maxPatch {
				return false, nil
			}
		case s.build == b.build:
			return false, fmt.Errorf("Pod %s/%s: listed twice", p.Namespace, p.Name)
		default:
			s.build = b.build
			b.seen[p] = s
			kept++
		}
	}
	if len(b.seen)-kept+len(added) > maxPatch {
		return false, nil
	}
	if kept < len(b.seen) {
		gone := map[*corev1.Pod]bool{}
		for p, s := range b.seen {
			if s.build != b.build {
				delete(b.seen, p)
				if ref := (ir.PodRef{Namespace: p.Namespace, Name: p.Name}); b.names[ref] == p {
					delete(b.names, ref)
				}
				if s.eligible {
					gone[p] = true
				}
			}
		}
		if len(gone) > 0 {
			b.pods = slices.DeleteFunc(b.pods, func(pi podInfo) bool { return gone[pi.src] })
		}
	}
	var fresh []podInfo
	for _, p := range added {
		ref := ir.PodRef{Namespace: p.Namespace, Name: p.Name}
		if q := b.names[ref]; q != nil {
			return false, fmt.Errorf("Pod %s: listed twice", ref)
		}
		b.names[ref] = p
		ok := eligible(p)
		b.seen[p] = seenPod{eligible: ok, build: b.build}
		if !ok {
			continue
		}
		pi, err := newPodInfo(p, b.node)
		if err != nil {
			return false, err
		}
		fresh = append(fresh, pi)
	}
	return true, b.mergePods(fresh)
}

// mergePods merges fresh into the sorted b.pods, in place from the back; a pod name that is already there fails.
func (b *Builder) mergePods(fresh []podInfo) error {
	if len(fresh) == 0 {
		return nil
	}
	slices.SortFunc(fresh, comparePodInfo)
	for i := 1; i < len(fresh); i++ {
		if comparePodInfo(fresh[i-1], fresh[i]) == 0 {
			return fmt.Errorf("Pod %s: listed twice", fresh[i].ref)
		}
	}
	n := len(b.pods)
	b.pods = slices.Grow(b.pods, len(fresh))[:n+len(fresh)]
	i, j := n-1, len(fresh)-1
	for w := len(b.pods) - 1; j >= 0; w-- {
		c := -1
		if i >= 0 {
			c = comparePodInfo(b.pods[i], fresh[j])
		}
		switch {
		case c == 0:
			return fmt.Errorf("Pod %s: listed twice", fresh[j].ref)
		case c > 0:
			b.pods[w] = b.pods[i]
			i--
		default:
			b.pods[w] = fresh[j]
			j--
		}
	}
	return nil
}

func comparePodInfo(a, b podInfo) int {
	return cmp.Or(strings.Compare(a.ref.Namespace, b.ref.Namespace), strings.Compare(a.ref.Name, b.ref.Name))
}

package build

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// TestBuilderAgreesWithNode drives one Builder through 400 random changes of a cluster — pods relabelled,
// readdressed, finished, deleted, added (new names and reused ones), policies and ClusterNetworkPolicies added, changed and deleted,
// finished, addressless or hostNetwork, namespaces relabelled and put in or out of audit mode, now and then every pod replaced at once (more than maxPatch), an invalid address and a
// pod listed twice — and requires after each step exactly what Node builds from scratch, errors included.
func TestBuilderAgreesWithNode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	nss := []string{"a", "b", "c", "d"}
	var c Cluster
	for _, n := range nss {
		c.Namespaces = append(c.Namespaces, namespace(n, "team", n))
	}
	nextPod := 0
	newPod := func(name string) *corev1.Pod {
		nextPod++
		ns := nss[rng.IntN(len(nss))]
		if name == "" {
			name = fmt.Sprintf("p%d", nextPod)
		}
		return pod(ns, name, onNode(fmt.Sprintf("n%d", rng.IntN(3))), labeled("app", fmt.Sprintf("x%d", rng.IntN(4))),
			ip(fmt.Sprintf("10.0.%d.%d", nextPod/250, nextPod%250+1)), cport("http", int32(8000+rng.IntN(3)), corev1.ProtocolTCP))
	}
	for range 80 {
		c.Pods = append(c.Pods, newPod(""))
	}
	nextPol := 0
	newPolicy := func() *networkingv1.NetworkPolicy {
		nextPol++
		ns, app := nss[rng.IntN(len(nss))], fmt.Sprintf("x%d", rng.IntN(4))
		name := fmt.Sprintf("np%d", nextPol)
		switch rng.IntN(4) {
		case 0:
			return policy(ns, name, selecting("app", app), ingress(pods(match("app", fmt.Sprintf("x%d", rng.IntN(4)))), tcp(8080)))
		case 1:
			return policy(ns, name, selecting("app", app), ingress(both(match("team", nss[rng.IntN(4)]), match()), named("http", corev1.ProtocolTCP)))
		case 2:
			return policy(ns, name, selecting("app", app), types(networkingv1.PolicyTypeEgress),
				egress(pods(match("app", fmt.Sprintf("x%d", rng.IntN(4)))), named("http", corev1.ProtocolTCP)))
		default:
			return policy(ns, name, selecting(), types(networkingv1.PolicyTypeIngress), ingress(block("10.0.0.0/16", "10.0.0.0/24")))
		}
	}
	for range 12 {
		c.Policies = append(c.Policies, newPolicy())
	}
	nextCNP := 0
	newCluster := func() *cnp.ClusterNetworkPolicy {
		nextCNP++
		tier := []cnp.Tier{cnp.AdminTier, cnp.BaselineTier}[rng.IntN(2)]
		action := []cnp.ClusterNetworkPolicyRuleAction{accept, deny, pass}[rng.IntN(3)]
		name := fmt.Sprintf("cnp%d", nextCNP)
		app := fmt.Sprintf("x%d", rng.IntN(4))
		switch rng.IntN(3) {
		case 0:
			return clusterPolicy(name, tier, int32(rng.IntN(3)), subjectNS(match("team", nss[rng.IntN(4)])),
				cIn(action, to(podPeer(match(), match("app", app))), cnamed("http")))
		case 1:
			return clusterPolicy(name, tier, int32(rng.IntN(3)), subjectPods(match(), match("app", app)),
				cOut(action, to(nsPeer(match("team", nss[rng.IntN(4)]))), ctcp(8080)), cOut(deny, to(netPeer("10.0.0.0/16"))))
		default:
			return clusterPolicy(name, tier, int32(rng.IntN(3)), subjectNS(match()),
				cOut(action, to(podPeer(match("team", nss[rng.IntN(4)]), match())), cnamed("http")))
		}
	}
	for range 4 {
		c.ClusterPolicies = append(c.ClusterPolicies, newCluster())
	}

	b := NewBuilder("n0")
	failed, tiered := 0, 0
	check := func(step int, what string) {
		t.Helper()
		want, werr := Node(c, "n0")
		if werr != nil {
			failed++
		}
		got, gerr := b.Node(c)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("step %d (%s): error %v, Node's %v", step, what, gerr, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("step %d (%s): the Builder's IR differs from Node's", step, what)
		}
		if want != nil {
			for _, g := range want.Groups {
				if len(g.Admin)+len(g.Baseline) > 0 {
					tiered++
				}
			}
		}
	}
	check(0, "start")
	for step := 1; step <= 400; step++ {
		var what string
		i := rng.IntN(len(c.Pods))
		switch k := rng.IntN(12); {
		case k < 3:
			what = "relabel a pod"
			p := c.Pods[i].DeepCopy()
			p.Labels["app"] = fmt.Sprintf("x%d", rng.IntN(4))
			c.Pods[i] = p
		case k == 3:
			what = "readdress a pod"
			p := c.Pods[i].DeepCopy()
			p.Status.PodIPs = []corev1.PodIP{{IP: fmt.Sprintf("10.1.%d.%d", rng.IntN(250), rng.IntN(250)+1)}}
			c.Pods[i] = p
		case k == 4:
			what = "a pod finishes, runs again, loses its address or turns hostNetwork"
			p := c.Pods[i].DeepCopy()
			switch rng.IntN(3) {
			case 0:
				p.Status.Phase = map[bool]corev1.PodPhase{true: corev1.PodFailed, false: corev1.PodRunning}[p.Status.Phase == corev1.PodRunning]
			case 1:
				p.Status.PodIPs = nil
			default:
				p.Spec.HostNetwork = !p.Spec.HostNetwork
			}
			c.Pods[i] = p
		case k == 5:
			what = "delete a pod, add one under its name"
			old := c.Pods[i]
			c.Pods = slices.Delete(c.Pods, i, i+1)
			check(step, "delete a pod")
			p := newPod(old.Name)
			p.Namespace = old.Namespace
			c.Pods = append(c.Pods, p)
		case k == 6:
			what = "add pods, one with a name another namespace has"
			for range 1 + rng.IntN(5) {
				c.Pods = append(c.Pods, newPod(""))
			}
			p := newPod(c.Pods[i].Name)
			if !slices.ContainsFunc(c.Pods, func(q *corev1.Pod) bool { return q.Namespace == p.Namespace && q.Name == p.Name }) {
				c.Pods = append(c.Pods, p)
			}
		case k == 7 && rng.IntN(2) == 0:
			what = "add, change or delete a ClusterNetworkPolicy"
			j := rng.IntN(len(c.ClusterPolicies))
			switch rng.IntN(3) {
			case 0:
				if len(c.ClusterPolicies) > 1 {
					c.ClusterPolicies = slices.Delete(c.ClusterPolicies, j, j+1)
				}
			case 1:
				p := newCluster()
				p.Name = c.ClusterPolicies[j].Name
				c.ClusterPolicies[j] = p
			default:
				c.ClusterPolicies = append(c.ClusterPolicies, newCluster())
			}
		case k == 7:
			what = "add or delete a policy"
			if j := rng.IntN(len(c.Policies)); rng.IntN(2) == 0 && len(c.Policies) > 1 {
				c.Policies = slices.Delete(c.Policies, j, j+1)
			} else {
				c.Policies = append(c.Policies, newPolicy())
			}
		case k == 8:
			what = "change a policy"
			j := rng.IntN(len(c.Policies))
			p := newPolicy()
			p.Namespace, p.Name = c.Policies[j].Namespace, c.Policies[j].Name
			c.Policies[j] = p
		case k == 9:
			what = "relabel a namespace"
			j := rng.IntN(len(c.Namespaces))
			ns := c.Namespaces[j].DeepCopy()
			ns.Labels["team"] = nss[rng.IntN(len(nss))]
			if rng.IntN(3) == 0 { // and put it in or out of audit mode
				ns.Annotations = map[string]string{ir.AuditAnnotation: fmt.Sprint(rng.IntN(2) == 0)}
			}
			c.Namespaces[j] = ns
		case k == 10 && step%40 == 0:
			what = "every pod replaced"
			for j := range c.Pods {
				c.Pods[j] = c.Pods[j].DeepCopy()
			}
			for range maxPatch {
				c.Pods = append(c.Pods, newPod(""))
			}
		case k == 10:
			what = "an invalid address, then fixed"
			p := c.Pods[i].DeepCopy()
			p.Status.PodIPs = []corev1.PodIP{{IP: "not-an-ip"}}
			old := c.Pods[i]
			c.Pods[i] = p
			check(step, "an invalid address")
			c.Pods[i] = old
		default:
			what = "a pod listed twice, then once"
			c.Pods = append(c.Pods, c.Pods[i].DeepCopy())
			check(step, "a pod listed twice")
			c.Pods = c.Pods[:len(c.Pods)-1]
		}
		check(step, what)
	}
	if tiered == 0 {
		t.Error("no build had a group with ClusterNetworkPolicy rules")
	}
	if failed > 100 {
		t.Errorf("%d builds failed: the steps should leave a valid cluster behind", failed)
	}
	if len(b.pods) == 0 || len(b.seen) != len(c.Pods) {
		t.Fatalf("the Builder holds %d pods and has seen %d objects; the cluster has %d", len(b.pods), len(b.seen), len(c.Pods))
	}
}

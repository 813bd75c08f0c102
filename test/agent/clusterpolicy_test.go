package agent

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/controllers"
	"github.com/nftpolicy/nftpolicy/test/harness"
)

// cnpCRD is the ClusterNetworkPolicy CRD config/crd installs.
var cnpCRD = filepath.Join("..", "..", "config", "crd", "bases", "policy.networking.k8s.io_clusternetworkpolicies.yaml")

var _ = Describe("ClusterNetworkPolicy", func() {
	It("denies in the Admin tier over a NetworkPolicy, passes to it, and allows again when deleted",
		func(ctx SpecContext) {
			// srv/web is the server; cli/client (team=blue) and oth/stranger are clients in other namespaces.
			w := newWorld(ctx, map[string]map[string]string{"srv": nil, "cli": {"team": "blue"}, "oth": nil},
				pod("srv/web", map[string]string{"app": "web"}),
				pod("cli/client", map[string]string{"role": "client"}),
				pod("oth/stranger", map[string]string{"role": "client"}),
			)
			// Installed before the agent starts, which then watches ClusterNetworkPolicy from its first sync (the
			// CRD stays for the rest of the suite; the policy below selects this world's namespaces only).
			_, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{Paths: []string{cnpCRD}, ErrorIfPathMissing: true})
			Expect(err).NotTo(HaveOccurred(), "install the ClusterNetworkPolicy CRD")
			scheme := apiruntime.NewScheme()
			Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
			Expect(cnp.Install(scheme)).To(Succeed())
			c, err := client.New(cfg, client.Options{Scheme: scheme})
			Expect(err).NotTo(HaveOccurred())

			var mu sync.Mutex
			var drops []controllers.Drop
			a := w.startAgent(func(o *controllers.Options) {
				o.OnDrop = func(d controllers.Drop) {
					mu.Lock()
					defer mu.Unlock()
					drops = append(drops, d)
				}
			})
			a.waitReady(ctx)
			w.checkFlows(ctx, "no policy: everything connects",
				allowed("cli/client", "srv/web"), allowed("oth/stranger", "srv/web"), allowed("srv/web", "cli/client"))

			By("an Admin ClusterNetworkPolicy denying web's ingress from cli and oth")
			name := w.id + "-guard-web"
			pol := &cnp.ClusterNetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: name},
				Spec: cnp.ClusterNetworkPolicySpec{
					Tier: cnp.AdminTier, Priority: 10,
					Subject: cnp.ClusterNetworkPolicySubject{Namespaces: &metav1.LabelSelector{
						MatchLabels: map[string]string{"kubernetes.io/metadata.name": w.ns("srv")}}},
					Ingress: []cnp.ClusterNetworkPolicyIngressRule{{Name: "clients",
						Action: cnp.ClusterNetworkPolicyRuleActionDeny,
						From: []cnp.ClusterNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{
							MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "kubernetes.io/metadata.name",
								Operator: metav1.LabelSelectorOpIn, Values: []string{w.ns("cli"), w.ns("oth")}}}}}}}},
				},
			}
			t := time.Now()
			Expect(c.Create(ctx, pol)).To(Succeed())
			DeferCleanup(func(ctx SpecContext) {
				Expect(client.IgnoreNotFound(c.Delete(ctx, &cnp.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: name}}))).
					To(Succeed())
			})
			w.expectFlows(ctx, "Admin Deny created", t,
				denied("cli/client", "srv/web"), denied("oth/stranger", "srv/web"),
				allowed("srv/web", "cli/client"), allowed("cli/client", "oth/stranger"))
			Eventually(ctx, func() []string {
				// A denied probe each time round, so that a logged drop lost on the way (the kernel's log
				// buffer, the rate limit) is followed by another.
				w.c.Run(ctx, []harness.Probe{w.probe("cli/client", "srv/web", 4)})
				mu.Lock()
				defer mu.Unlock()
				var reasons []string
				for _, d := range drops {
					if d.Tier == "Admin" && slices.Equal(d.Policies, []string{name}) && d.DstPod == w.key("srv/web") {
						reasons = append(reasons, d.Reason())
					}
				}
				return reasons
			}).Should(ContainElement("ingress of "+w.key("srv/web")+" is denied by a Deny rule of Admin ClusterNetworkPolicy "+name),
				"the drop log names the tier and the policy")

			By("a NetworkPolicy allowing web from team=blue: the Admin Deny still wins")
			w.createPolicy(ctx, ingressPolicy("srv", "web", map[string]string{"app": "web"},
				nsPeer(map[string]string{"team": "blue"})))
			np := ir.PolicyRef{Namespace: w.ns("srv"), Name: "web"}
			Eventually(ctx, func() bool {
				for _, r := range a.syncs() {
					if r.Err == nil && slices.Contains(r.Enforced, np) {
						return true
					}
				}
				return false
			}).WithTimeout(convergeTimeout).Should(BeTrue(), "a sync enforcing the NetworkPolicy")
			w.checkFlows(ctx, "Admin Deny over a NetworkPolicy allow",
				denied("cli/client", "srv/web"), denied("oth/stranger", "srv/web"))

			By("the rule's action changed to Pass: the NetworkPolicy decides")
			t = time.Now()
			setAction(ctx, c, name, cnp.ClusterNetworkPolicyRuleActionPass)
			w.expectFlows(ctx, "Admin Pass to the NetworkPolicy", t,
				allowed("cli/client", "srv/web"), denied("oth/stranger", "srv/web"), allowed("srv/web", "oth/stranger"))

			By("Deny again, and the NetworkPolicy deleted")
			t = time.Now()
			setAction(ctx, c, name, cnp.ClusterNetworkPolicyRuleActionDeny)
			w.deletePolicy(ctx, "srv", "web")
			w.expectFlows(ctx, "Admin Deny without a NetworkPolicy", t,
				denied("cli/client", "srv/web"), denied("oth/stranger", "srv/web"))

			By("the ClusterNetworkPolicy deleted: Kubernetes' default again")
			t = time.Now()
			Expect(c.Delete(ctx, pol)).To(Succeed())
			w.expectFlows(ctx, "ClusterNetworkPolicy deleted", t,
				allowed("cli/client", "srv/web"), allowed("oth/stranger", "srv/web"))

			Expect(a.Ready()).To(Succeed())
		}, NodeTimeout(90*time.Second))
})

// setAction sets the action of the first ingress rule of ClusterNetworkPolicy name.
func setAction(ctx context.Context, c client.Client, name string, action cnp.ClusterNetworkPolicyRuleAction) {
	GinkgoHelper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var p cnp.ClusterNetworkPolicy
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &p); err != nil {
			return err
		}
		p.Spec.Ingress[0].Action = action
		return c.Update(ctx, &p)
	})).To(Succeed(), "action of ClusterNetworkPolicy %s", name)
}

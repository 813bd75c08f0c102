package plugin

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// activityFixture is what three agents wrote: node-a and node-b with drops and counters (one drop of each in the
// same second; alpha/default-deny-ingress busy on both, so top sums it; ties on counts that only names break;
// delta in audit mode; ClusterNetworkPolicies: Admin deny-db dropping on both nodes, a Baseline drop naming two
// policies, a Baseline policy letting packets through), node-c nothing yet.
func activityFixture() map[string]v1alpha1.NodePolicyStatusStatus {
	at := func(s int) metav1.Time { return metav1.NewTime(time.Date(2026, 5, 1, 10, 0, s, 0, time.UTC)) }
	counts := func(ns, name, dir string, allowed, dropped int64) v1alpha1.PolicyCounts {
		return v1alpha1.PolicyCounts{ObjectRef: v1alpha1.ObjectRef{Namespace: ns, Name: name}, Direction: dir,
			AllowedPackets: allowed, DroppedPackets: dropped}
	}
	return map[string]v1alpha1.NodePolicyStatusStatus{
		"node-a": {
			RecentDrops: []v1alpha1.DropRecord{
				{Time: at(30), Direction: "ingress", Src: "beta/client", Dst: "alpha/db", SrcIP: "10.244.2.10",
					DstIP: "10.244.1.12", Protocol: "tcp", Port: 5432, Policies: []string{"alpha/db-from-api", "alpha/default-deny-ingress"}},
				{Time: at(20), Direction: "egress", Src: "beta/web", Dst: "203.0.113.9", SrcIP: "10.244.2.11",
					DstIP: "203.0.113.9", Protocol: "udp", Port: 53, Policies: []string{"beta/egress-lock"}},
				{Time: at(25), Direction: "egress", Src: "beta/web", Dst: "alpha/db", SrcIP: "10.244.2.11",
					DstIP: "10.244.1.12", Protocol: "tcp", Port: 5432, Tier: "Admin", Policies: []string{"deny-db"}},
				{Time: at(5), Direction: "ingress", Src: "198.51.100.7", Dst: "alpha/web", SrcIP: "198.51.100.7",
					DstIP: "10.244.1.11", Protocol: "icmp", Policies: []string{"alpha/default-deny-ingress"}},
			},
			BusiestPolicies: []v1alpha1.PolicyCounts{
				{ObjectRef: v1alpha1.ObjectRef{Name: "deny-db"}, Tier: "Admin", Direction: "egress", DroppedPackets: 6},
				counts("alpha", "default-deny-ingress", "ingress", 10, 7),
				counts("beta", "egress-lock", "egress", 100, 3),
				counts("alpha", "allow-http", "ingress", 50, 0),
			},
		},
		"node-b": {
			RecentDrops: []v1alpha1.DropRecord{
				{Time: at(20), Direction: "ingress", Src: "gamma/worker", Dst: "gamma/web", SrcIP: "10.244.3.10",
					DstIP: "10.244.3.11", Protocol: "sctp", Port: 7000, Policies: []string{"gamma/from-outside"}},
				{Time: at(10), Direction: "ingress", Src: "fd00::1", Dst: "gamma/web", SrcIP: "fd00::1",
					DstIP: "fd00:10:244:3::11", Protocol: "tcp", Port: 80, Policies: []string{"gamma/from-outside"}},
				{Time: at(3), Direction: "ingress", Src: "10.0.0.5", Dst: "gamma/web", SrcIP: "10.0.0.5",
					DstIP: "10.244.3.11", Protocol: "udp", Port: 9000, Tier: "Baseline",
					Policies: []string{"default-deny", "lock-gamma"}},
				{Time: at(1), Direction: "egress", Src: "delta/app", Dst: "gamma/web", SrcIP: "10.244.3.20",
					DstIP: "10.244.3.11", Protocol: "tcp", Port: 80, Policies: []string{"delta/lockdown"}, Audit: true},
			},
			BusiestPolicies: []v1alpha1.PolicyCounts{
				{ObjectRef: v1alpha1.ObjectRef{Name: "deny-db"}, Tier: "Admin", Direction: "egress", DroppedPackets: 2},
				{ObjectRef: v1alpha1.ObjectRef{Name: "allow-dns"}, Tier: "Baseline", Direction: "egress", AllowedPackets: 30},
				counts("gamma", "from-outside", "ingress", 0, 9),
				counts("alpha", "default-deny-ingress", "ingress", 5, 2),
				counts("gamma", "z-tie", "egress", 1, 1),
				counts("beta", "a-tie", "egress", 1, 1),
				{ObjectRef: v1alpha1.ObjectRef{Namespace: "delta", Name: "lockdown"}, Direction: "egress",
					AllowedPackets: 2, AuditedPackets: 4},
			},
		},
		"node-c": {},
	}
}

// TestDropsAndTopLive: drops and top against an API server holding the CRD and the NodePolicyStatus objects of
// activityFixture, written through the status subresource as agents write them (so the CRD's schema admits
// them), compared with golden outputs; a missing node is one line and exit 1, an empty answer no stdout.
func TestDropsAndTopLive(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an API server (~10 s)")
	}
	cfg, kubeconfig := startAPIServer(t, &envtest.Environment{
		CRDDirectoryPaths: []string{filepath.Join("..", "..", "config", "crd", "bases")}, ErrorIfCRDPathMissing: true})
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for node, st := range activityFixture() {
		nps := &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: node}}
		if err := c.Create(ctx, nps); err != nil {
			t.Fatalf("create NodePolicyStatus %s: %v", node, err)
		}
		nps.Status = st
		if err := c.Status().Update(ctx, nps); err != nil {
			t.Fatalf("status of NodePolicyStatus %s: %v", node, err)
		}
	}

	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(append(args, "--kubeconfig", kubeconfig), Streams{In: strings.NewReader(""), Out: &out, Err: &errOut})
		return code, out.String(), strings.TrimSpace(errOut.String())
	}
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"drops", []string{"drops"}},
		{"drops-json", []string{"drops", "-o", "json"}},
		{"drops-node", []string{"drops", "--node", "node-b"}},
		{"top", []string{"top"}},
		{"top-json", []string{"top", "-o", "json"}},
		{"top-node", []string{"top", "--node", "node-a"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errs := run(tc.args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			checkGolden(t, tc.golden, out)
		})
	}

	for _, tc := range []struct {
		args           []string
		code           int
		stderrContains string
	}{
		{[]string{"drops", "--node", "node-c"}, 0, "No drops recorded on 1 node."},
		{[]string{"top", "--node", "node-c"}, 0, "No policy counted packets on 1 node."},
		{[]string{"drops", "--node", "nope"}, 1, "error: drops: --node nope: the cluster at https://"},
		{[]string{"top", "--node", "nope"}, 1, "has no NodePolicyStatus nope (is the nftpolicy agent running on that node?)"},
	} {
		code, out, errs := run(tc.args...)
		if code != tc.code || out != "" || !strings.Contains(errs, tc.stderrContains) || strings.Contains(errs, "\n") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, no stdout, one line with %q", tc.args, code, out,
				errs, tc.code, tc.stderrContains)
		}
	}
}

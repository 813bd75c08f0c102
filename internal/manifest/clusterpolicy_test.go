package manifest

import (
	"errors"
	"strings"
	"testing"

	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// cnpDoc is a ClusterNetworkPolicy of apiVersion version with the given spec (flow-style YAML).
func cnpDoc(version, name, spec string) string {
	return "apiVersion: policy.networking.k8s.io/" + version + "\nkind: ClusterNetworkPolicy\nmetadata: {name: " + name +
		"}\nspec: " + spec + "\n"
}

const denySpec = "{tier: Admin, priority: 10, subject: {namespaces: {matchLabels: {team: a}}}, " +
	"egress: [{action: Deny, to: [{networks: [10.0.0.0/8]}], protocols: [{tcp: {destinationPort: {range: {start: 80, end: 90}}}}]}]}"

func TestLoadClusterPoliciesAndNodes(t *testing.T) {
	body := cnpDoc("v1beta1", "deny-a", denySpec) + "---\n" + cnpDoc("v1alpha2", "old-style.v2", denySpec) + `---
apiVersion: v1
kind: Node
metadata: {name: node-a.example, labels: {zone: z1}}
spec: {podCIDR: 10.244.0.0/24, futureSpec: 1}
status: {addresses: [{type: InternalIP, address: 192.0.2.10}, {type: Hostname, address: node-a}]}
`
	objs, err := Load([]string{"-"}, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs.ClusterPolicies) != 2 || len(objs.Nodes) != 1 || objs.Len() != 3 {
		t.Fatalf("got %d cluster policies, %d nodes, %d objects", len(objs.ClusterPolicies), len(objs.Nodes), objs.Len())
	}
	for i, name := range []string{"deny-a", "old-style.v2"} {
		p := objs.ClusterPolicies[i]
		if p.Name != name || p.Namespace != "" || p.APIVersion != "policy.networking.k8s.io/v1beta1" {
			t.Errorf("policy %d: name %q, namespace %q, apiVersion %q", i, p.Name, p.Namespace, p.APIVersion)
		}
		r := p.Spec.Egress[0]
		if p.Spec.Tier != cnpv1beta1.AdminTier || p.Spec.Priority != 10 || r.Action != cnpv1beta1.ClusterNetworkPolicyRuleActionDeny ||
			r.To[0].Networks[0] != "10.0.0.0/8" || r.Protocols[0].TCP.DestinationPort.Range.End != 90 {
			t.Errorf("policy %s decoded as %+v", name, p.Spec)
		}
	}
	if src := objs.Source("ClusterNetworkPolicy old-style.v2"); src != "<stdin>: document 2" {
		t.Errorf("source of the v1alpha2 policy = %q", src)
	}
	if src := objs.Source("Node node-a.example"); src != "<stdin>: document 3" {
		t.Errorf("source of the node = %q", src)
	}
	if a := objs.Nodes[0].Status.Addresses; len(a) != 2 || a[0].Address != "192.0.2.10" {
		t.Errorf("node addresses %v", a)
	}
	c := objs.Cluster()
	if len(c.ClusterPolicies) != 2 || len(c.Nodes) != 1 {
		t.Errorf("Cluster() dropped objects: %d cluster policies, %d nodes", len(c.ClusterPolicies), len(c.Nodes))
	}
}

func TestLoadClusterPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string
		path       string // of the *FieldError, when set
	}{
		{"unknown spec field", cnpDoc("v1beta1", "p", "{tier: Admin, priority: 1, subjet: {namespaces: {}}}"),
			[]string{"<stdin>: document 1: ClusterNetworkPolicy p: spec.subjet: unknown field"}, "spec.subjet"},
		{"unknown field deep in a v1alpha2 rule", cnpDoc("v1alpha2", "p", "{tier: Admin, priority: 1, subject: {namespaces: {}}, "+
			"ingress: [{action: Accept, from: [{namespaces: {}}]}, {action: Deny, from: [{pods: {podSelector: {}, nameSpaceSelector: {}}}]}]}"),
			[]string{"ClusterNetworkPolicy p: spec.ingress[1].from[0].pods.nameSpaceSelector: unknown field"},
			"spec.ingress[1].from[0].pods.nameSpaceSelector"},
		{"port of the wrong type", cnpDoc("v1beta1", "p", "{tier: Admin, priority: 1, subject: {namespaces: {}}, "+
			"egress: [{action: Deny, to: [{networks: [0.0.0.0/0]}], protocols: [{udp: {destinationPort: {number: dns}}}]}]}"),
			[]string{"ClusterNetworkPolicy p: spec.egress[0].protocols[0].udp.destinationPort.number: cannot be a JSON string (want int32)"},
			"spec.egress[0].protocols[0].udp.destinationPort.number"},
		{"priority out of range for int32", cnpDoc("v1beta1", "p", "{tier: Baseline, priority: 99999999999, subject: {namespaces: {}}}"),
			[]string{"ClusterNetworkPolicy p: spec.priority: cannot be a JSON number 99999999999 (want int32)"}, "spec.priority"},
		{"namespaced", "apiVersion: policy.networking.k8s.io/v1beta1\nkind: ClusterNetworkPolicy\nmetadata: {name: p, namespace: x}\nspec: {}\n",
			[]string{"ClusterNetworkPolicy p: metadata.namespace: must be empty for a cluster-scoped object"}, "metadata.namespace"},
		{"bad name", cnpDoc("v1beta1", `"A_B"`, "{}"), []string{`ClusterNetworkPolicy A_B: metadata.name: invalid name "A_B"`}, "metadata.name"},
		{"duplicate", cnpDoc("v1beta1", "p", "{}") + "---\n" + cnpDoc("v1alpha2", "p", "{}"),
			[]string{"document 2: ClusterNetworkPolicy p: duplicate object (first defined in <stdin>)"}, ""},
		{"duplicate key", cnpDoc("v1beta1", "p", "{tier: Admin, tier: Baseline}"),
			[]string{"ClusterNetworkPolicy p: spec.tier: duplicate key"}, "spec.tier"},
		{"retired version", "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: ClusterNetworkPolicy\nmetadata: {name: p}\n",
			[]string{"kind ClusterNetworkPolicy (apiVersion policy.networking.k8s.io/v1alpha1): unsupported apiVersion; want policy.networking.k8s.io/v1beta1 or /v1alpha2"}, ""},
		{"retired kind", "apiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {name: p}\n",
			[]string{"kind AdminNetworkPolicy", "unsupported; expected Namespace, Pod, Node, NetworkPolicy, ClusterNetworkPolicy or List"}, ""},
		{"node key in another case", "apiVersion: v1\nkind: Node\nmetadata: {name: node-1}\nstatus: {Addresses: []}\n",
			[]string{"Node node-1: status.Addresses: unknown field", "did you mean addresses?"}, "status.Addresses"},
		{"node namespaced", "apiVersion: v1\nkind: Node\nmetadata: {name: node-1, namespace: x}\n",
			[]string{"Node node-1: metadata.namespace: must be empty"}, "metadata.namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]string{"-"}, strings.NewReader(tc.body))
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "<stdin>: document ") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line starting with <stdin>: document", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			var fe *FieldError
			if tc.path != "" && (!errors.As(err, &fe) || fe.Path != tc.path) {
				t.Errorf("error %q: want a *FieldError at %s", msg, tc.path)
			}
		})
	}
}

func TestLoadClusterPolicyIgnoresStatus(t *testing.T) {
	// As `kubectl get cnp -o yaml` prints it: status and server metadata, with fields newer than this build.
	body := cnpDoc("v1beta1", "p", "{tier: Admin, priority: 1, subject: {namespaces: {}}}") +
		"status: {conditions: [{type: Ready, status: \"True\", reason: R, message: m, lastTransitionTime: \"2026-01-01T00:00:00Z\", future: 1}]}\n"
	objs, err := Load([]string{"-"}, strings.NewReader(body))
	if err != nil || len(objs.ClusterPolicies) != 1 {
		t.Fatalf("err %v", err)
	}
}

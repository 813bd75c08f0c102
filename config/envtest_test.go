package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	apiruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// envtestVersion is the version hack/envtest/build.sh builds.
const envtestVersion = "1.37.2"

// envtestAssets is KUBEBUILDER_ASSETS, or bin/k8s/<version>-<os>-<arch> when hack/envtest/build.sh has built the
// binaries there; "" when neither has them.
func envtestAssets() string {
	if dir := os.Getenv("KUBEBUILDER_ASSETS"); dir != "" {
		return dir
	}
	dir, err := filepath.Abs(filepath.Join("..", "bin", "k8s", envtestVersion+"-"+runtime.GOOS+"-"+runtime.GOARCH))
	if err != nil {
		return ""
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return ""
		}
	}
	return dir
}

// TestInstallOnAPIServer applies what config/default builds to a real API server (envtest) and then acts as the
// agent of node-a would, with its service account's token bound to a pod on node-a: the generated ClusterRole
// lets it read and write what it needs and nothing more, the admission policy admits its own node's
// NodePolicyStatus and refuses another node's, and the CRD's printer columns show the status it wrote. Both CRDs
// (NodePolicyStatus, ClusterNetworkPolicy) install and are served.
func TestInstallOnAPIServer(t *testing.T) {
	assets := envtestAssets()
	if assets == "" {
		t.Fatal("no kube-apiserver and etcd: run `make envtest` (builds them offline into bin/) or set KUBEBUILDER_ASSETS")
	}
	env := &envtest.Environment{BinaryAssetsDirectory: assets}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop envtest: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	scheme := apiruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(v1alpha1.AddToScheme(scheme), cnpv1beta1.Install(scheme)); err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	applyDefault(ctx, t, admin)

	agent := agentClient(ctx, t, cfg, admin, scheme, "node-a")
	waitForOwnNodePolicy(ctx, t, admin, agent)

	t.Run("own node status", func(t *testing.T) {
		own := &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}
		if err := agent.Create(ctx, own); err != nil {
			t.Fatalf("agent of node-a creates NodePolicyStatus node-a: %v", err)
		}
		own.Status = sampleStatus()
		if err := agent.Status().Update(ctx, own); err != nil {
			t.Fatalf("agent of node-a updates the status of node-a: %v", err)
		}
		patch := client.MergeFrom(own.DeepCopy())
		own.Status.AgentVersion = "v0.0.2"
		if err := agent.Status().Patch(ctx, own, patch); err != nil {
			t.Fatalf("agent of node-a patches the status of node-a: %v", err)
		}
		checkTable(ctx, t, cfg)
	})

	t.Run("another node's status is refused", func(t *testing.T) {
		other := &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: "node-b"}}
		err := agent.Create(ctx, other)
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "own node") {
			t.Fatalf("agent of node-a creates NodePolicyStatus node-b: got %v, want refused by the admission policy", err)
		}
		if err := admin.Create(ctx, other); err != nil {
			t.Fatal(err)
		}
		other.Status = sampleStatus()
		if err := agent.Status().Update(ctx, other); !apierrors.IsForbidden(err) {
			t.Errorf("agent of node-a updates the status of node-b: got %v, want forbidden", err)
		}
		if err := agent.Update(ctx, other); !apierrors.IsForbidden(err) {
			t.Errorf("agent of node-a updates node-b: got %v, want forbidden", err)
		}
	})

	t.Run("role", func(t *testing.T) {
		allowed := map[string]error{
			"list pods":                   agent.List(ctx, &corev1.PodList{}),
			"list namespaces":             agent.List(ctx, &corev1.NamespaceList{}),
			"list networkpolicies":        agent.List(ctx, &networkingv1.NetworkPolicyList{}),
			"get own node":                agent.Get(ctx, client.ObjectKey{Name: "node-a"}, &corev1.Node{}),
			"list nodes":                  agent.List(ctx, &corev1.NodeList{}),
			"list clusternetworkpolicies": agent.List(ctx, &cnpv1beta1.ClusterNetworkPolicyList{}),
			"create event": agent.Create(ctx, &eventsv1.Event{
				ObjectMeta:          metav1.ObjectMeta{Name: "np.1", Namespace: namespace},
				EventTime:           metav1.NowMicro(),
				ReportingController: "nftpolicy.dev/agent", ReportingInstance: "node-a",
				Action: "Enforce", Reason: "Unenforceable", Type: corev1.EventTypeWarning,
				Regarding: corev1.ObjectReference{Kind: "NetworkPolicy", Namespace: namespace, Name: "np"},
			}),
			// What the metrics filter asks: is a scraper's token valid, and may its user get /metrics.
			"create tokenreview": agent.Create(ctx, &authenticationv1.TokenReview{
				Spec: authenticationv1.TokenReviewSpec{Token: "not-a-token"}}),
			"create subjectaccessreview": agent.Create(ctx, &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: "someone",
					NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/metrics", Verb: "get"}}}),
		}
		for what, err := range allowed {
			if err != nil {
				t.Errorf("agent: %s: %v", what, err)
			}
		}
		denied := map[string]error{
			"list secrets":                agent.List(ctx, &corev1.SecretList{}),
			"update pod":                  agent.Update(ctx, podOn("x", "node-a")),
			"delete own status":           agent.Delete(ctx, &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: "node-a"}}),
			"create networkpolicy":        agent.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "np", Namespace: namespace}}),
			"create clusternetworkpolicy": agent.Create(ctx, &cnpv1beta1.ClusterNetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "cnp"}}),
			"update node":                 agent.Update(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-b"}}),
		}
		for what, err := range denied {
			if !apierrors.IsForbidden(err) {
				t.Errorf("agent: %s: got %v, want forbidden", what, err)
			}
		}
	})
}

// applyDefault creates every object config/default builds: the namespace first, then the CRD (waiting until it
// is served), then the rest.
func applyDefault(ctx context.Context, t *testing.T, c client.Client) {
	t.Helper()
	objs, err := build("default")
	if err != nil {
		t.Fatal(err)
	}
	rank := func(o object) int {
		switch o.Kind {
		case "Namespace":
			return 0
		case "CustomResourceDefinition":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(objs, func(a, b object) int { return rank(a) - rank(b) })
	for _, o := range objs {
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(o.json); err != nil {
			t.Fatalf("%s: %v", o.key(), err)
		}
		if err := c.Create(ctx, u); err != nil {
			t.Fatalf("create %s: %v", o.key(), err)
		}
		if o.Kind == "CustomResourceDefinition" {
			waitFor(ctx, t, "CRD "+o.Metadata.Name+" to be served", func() error {
				return c.List(ctx, servedList(t, u))
			})
		}
	}
}

// servedList is an empty list of the storage version of the kind CRD crd defines.
func servedList(t *testing.T, crd *unstructured.Unstructured) *unstructured.UnstructuredList {
	t.Helper()
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "listKind")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	l := &unstructured.UnstructuredList{}
	for _, v := range versions {
		v, _ := v.(map[string]any)
		if storage, _ := v["storage"].(bool); storage {
			name, _ := v["name"].(string)
			l.SetAPIVersion(group + "/" + name)
		}
	}
	l.SetKind(kind)
	if l.GetAPIVersion() == "" || kind == "" {
		t.Fatalf("CRD %s: no storage version or list kind", crd.GetName())
	}
	return l
}

func podOn(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: corev1.PodSpec{
			NodeName:           node,
			ServiceAccountName: agentName,
			Containers:         []corev1.Container{{Name: "agent", Image: "nftpolicy:latest"}},
		},
	}
}

// agentClient returns a client that authenticates as the agent's service account with a token bound to a pod
// on node, as the kubelet gives the agent's pod.
func agentClient(ctx context.Context, t *testing.T, cfg *rest.Config, admin client.Client, scheme *apiruntime.Scheme, node string) client.Client {
	t.Helper()
	for _, n := range []string{"node-a", "node-b"} {
		if err := admin.Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: n}}); err != nil {
			t.Fatal(err)
		}
	}
	pod := podOn("agent-"+node, node)
	if err := admin.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(ctx, agentName, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{
			BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for %s/%s bound to pod %s: %v", namespace, agentName, pod.Name, err)
	}
	agentCfg := rest.AnonymousClientConfig(cfg)
	agentCfg.BearerToken = tr.Status.Token
	c, err := client.New(agentCfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// waitForOwnNodePolicy waits until the admission policy is in force: the API server loads policies
// asynchronously, and until then a write to another node's status would pass.
func waitForOwnNodePolicy(ctx context.Context, t *testing.T, admin, agent client.Client) {
	t.Helper()
	waitFor(ctx, t, "the admission policy to be in force", func() error {
		probe := &v1alpha1.NodePolicyStatus{ObjectMeta: metav1.ObjectMeta{Name: "not-a-node"}}
		err := agent.Create(ctx, probe)
		switch {
		case err == nil:
			if err := admin.Delete(ctx, probe); err != nil {
				t.Fatal(err)
			}
			return errors.New("admitted")
		case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "own node"):
			return nil
		}
		return err
	})
}

func waitFor(ctx context.Context, t *testing.T, what string, try func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := try()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sampleStatus() v1alpha1.NodePolicyStatusStatus {
	now := metav1.Now()
	s := v1alpha1.NodePolicyStatusStatus{
		AgentVersion: "v0.0.1",
		Ruleset: v1alpha1.RulesetSummary{
			Hash: v1alpha1.RulesetHash([]byte("table inet nftpolicy {\n}\n")), Chains: 7, Rules: 40, Sets: 12, Elements: 1234,
		},
		LastSyncTime:     &now,
		LastSyncDuration: &metav1.Duration{Duration: 12 * time.Millisecond},
		LastError:        &v1alpha1.SyncError{Message: "apply: netlink: operation not permitted", Time: now},
	}
	policies := make([]v1alpha1.ObjectRef, 150)
	for i := range policies {
		policies[i] = v1alpha1.ObjectRef{Namespace: "team-a", Name: "policy-" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
	}
	s.SetPolicies(policies)
	s.SetPods([]v1alpha1.ObjectRef{{Namespace: "team-a", Name: "web-0"}, {Namespace: "team-a", Name: "web-1"}})
	s.SetUnenforceable([]v1alpha1.UnenforceablePolicy{{ObjectRef: v1alpha1.ObjectRef{Namespace: "team-b", Name: "bad"}, Reason: "invalid CIDR"}})
	meta.SetStatusCondition(&s.Conditions, metav1.Condition{
		Type: v1alpha1.ConditionSynced, Status: metav1.ConditionTrue, Reason: v1alpha1.ReasonRulesetInForce,
	})
	return s
}

// checkTable asks the API server for the table `kubectl get nodepolicystatuses` prints, and checks the columns
// of node-a.
func checkTable(ctx context.Context, t *testing.T, cfg *rest.Config) {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.RESTClient().Get().AbsPath("/apis/nftpolicy.dev/v1alpha1/nodepolicystatuses/node-a").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	if len(table.Rows) != 1 {
		t.Fatalf("table has %d rows, want 1", len(table.Rows))
	}
	got := map[string]any{}
	var header, row []string
	for i, col := range table.ColumnDefinitions {
		got[col.Name] = table.Rows[0].Cells[i]
		header = append(header, col.Name)
		row = append(row, strings.TrimSpace(strings.ReplaceAll(fmt.Sprint(table.Rows[0].Cells[i]), "\n", " ")))
	}
	t.Logf("kubectl get nodepolicystatuses -o wide:\n%s\n%s", strings.Join(header, " | "), strings.Join(row, " | "))
	want := map[string]any{
		"Name": "node-a", "Synced": "True", "Policies": float64(150), "Pods": float64(2), "Elements": float64(1234),
		"Error": "", "Unenforceable": float64(1), "Version": "v0.0.2",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("column %s = %#v, want %#v", k, got[k], w)
		}
	}
	if s, _ := got["Last Sync"].(string); s == "" || s == "<none>" {
		t.Errorf("column Last Sync = %#v, want an age", got["Last Sync"])
	}
}

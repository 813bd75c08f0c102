package config

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/json"
)

// The names the install is built around; the agent's flags and the DaemonSet must agree on the ports.
const (
	namespace   = "nftpolicy-system"
	agentName   = "nftpolicy-agent"
	metricsPort = 9750
	healthPort  = 9751
	crdName     = "nodepolicystatuses.nftpolicy.dev"
	// metricsReader is the ClusterRole a scraper of /metrics must be bound to.
	metricsReader = "nftpolicy-metrics-reader"
	// ownNodePolicy admits an agent's writes only to its own node's NodePolicyStatus.
	ownNodePolicy = "nftpolicy-agent-own-node-status"
)

// install is config/default, built and decoded.
type install struct {
	objs        []object
	ds          appsv1.DaemonSet
	sa          corev1.ServiceAccount
	role        rbacv1.ClusterRole
	binding     rbacv1.ClusterRoleBinding
	reader      rbacv1.ClusterRole
	metrics     corev1.Service
	ns          corev1.Namespace
	crd         map[string]any // NodePolicyStatus
	cnpCRD      map[string]any // ClusterNetworkPolicy
	vap         admissionv1.ValidatingAdmissionPolicy
	vapBinding  admissionv1.ValidatingAdmissionPolicyBinding
	haveObjects map[string]bool
}

func buildDefault(t *testing.T) *install {
	t.Helper()
	objs, err := build("default")
	if err != nil {
		t.Fatal(err)
	}
	in := &install{objs: objs, haveObjects: map[string]bool{}}
	want := map[string]any{
		"Namespace//" + namespace:                             &in.ns,
		"ServiceAccount/" + namespace + "/" + agentName:       &in.sa,
		"ClusterRole//" + agentName:                           &in.role,
		"ClusterRoleBinding//" + agentName:                    &in.binding,
		"ClusterRole//" + metricsReader:                       &in.reader,
		"DaemonSet/" + namespace + "/" + agentName:            &in.ds,
		"Service/" + namespace + "/" + agentName + "-metrics": &in.metrics,
		"CustomResourceDefinition//" + crdName:                &in.crd,
		"CustomResourceDefinition//" + cnpCRDName:             &in.cnpCRD,
		"ValidatingAdmissionPolicy//" + ownNodePolicy:         &in.vap,
		"ValidatingAdmissionPolicyBinding//" + ownNodePolicy:  &in.vapBinding,
	}
	for _, o := range objs {
		in.haveObjects[o.key()] = true
		into, ok := want[o.key()]
		if !ok {
			t.Errorf("config/default builds an object this test does not know: %s (%s)", o.key(), o.source)
			continue
		}
		strictDecode(t, o, into)
	}
	for k := range want {
		if !in.haveObjects[k] {
			t.Errorf("config/default does not build %s", k)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return in
}

// strictDecode decodes o into a typed object as the API server does — field names case-sensitive — and fails
// on a field the type does not have (encoding/json would take readOnlyRootFileSystem for readOnlyRootFilesystem).
func strictDecode(t *testing.T, o object, into any) {
	t.Helper()
	strict, err := json.UnmarshalStrict(o.json, into, json.DisallowUnknownFields, json.DisallowDuplicateFields)
	if err == nil {
		err = errors.Join(strict...)
	}
	if err != nil {
		t.Errorf("%s (%s): %v", o.key(), o.source, err)
	}
}

func TestDefaultAgentSecurity(t *testing.T) {
	in := buildDefault(t)
	spec := in.ds.Spec.Template.Spec
	if !spec.HostNetwork {
		t.Error("agent: hostNetwork must be true (it programs the node's network namespace)")
	}
	if spec.ServiceAccountName != in.sa.Name {
		t.Errorf("agent: serviceAccountName %q, the install's service account is %q", spec.ServiceAccountName, in.sa.Name)
	}
	if len(spec.Containers) != 1 || len(spec.InitContainers) != 0 {
		t.Fatalf("agent: want one container, got %d (+%d init)", len(spec.Containers), len(spec.InitContainers))
	}
	c := spec.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("agent: no securityContext.capabilities")
	}
	if !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_ADMIN"}) {
		t.Errorf("agent: capabilities drop %v add %v; want drop [ALL] add [NET_ADMIN]", sc.Capabilities.Drop, sc.Capabilities.Add)
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("agent: privileged")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Error("agent: allowPrivilegeEscalation must be false")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Error("agent: readOnlyRootFilesystem must be true")
	}
	if sp := spec.SecurityContext; sp == nil || sp.SeccompProfile == nil || sp.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Error("agent: the pod's seccompProfile must be RuntimeDefault")
	}
	if spec.HostPID || spec.HostIPC || len(spec.Volumes) != 0 {
		t.Error("agent: no hostPID, hostIPC or volumes: it needs none")
	}
	if got := in.ns.Labels["pod-security.kubernetes.io/enforce"]; got != "privileged" {
		t.Errorf("namespace: pod-security enforce level %q; hostNetwork and NET_ADMIN need privileged", got)
	}
}

func TestDefaultAgentWiring(t *testing.T) {
	in := buildDefault(t)
	c := in.ds.Spec.Template.Spec.Containers[0]
	if !slices.Equal(c.Args[:1], []string{"agent"}) {
		t.Errorf("agent: args %v, want the agent subcommand first", c.Args)
	}
	var nodeName *corev1.EnvVar
	for i := range c.Env {
		if c.Env[i].Name == "NODE_NAME" {
			nodeName = &c.Env[i]
		}
	}
	if nodeName == nil || nodeName.ValueFrom == nil || nodeName.ValueFrom.FieldRef == nil ||
		nodeName.ValueFrom.FieldRef.FieldPath != "spec.nodeName" {
		t.Errorf("agent: NODE_NAME must come from the downward API (spec.nodeName), got %+v", nodeName)
	}

	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["metrics"] != metricsPort || ports["health"] != healthPort {
		t.Errorf("agent: ports %v, want metrics %d and health %d", ports, metricsPort, healthPort)
	}
	for _, flag := range []string{
		fmt.Sprintf("--metrics-bind-address=:%d", metricsPort),
		fmt.Sprintf("--health-probe-bind-address=:%d", healthPort),
	} {
		if !slices.Contains(c.Args, flag) {
			t.Errorf("agent: args %v lack %s", c.Args, flag)
		}
	}
	for name, probe := range map[string]*corev1.Probe{"/healthz": c.LivenessProbe, "/readyz": c.ReadinessProbe} {
		if probe == nil || probe.HTTPGet == nil {
			t.Errorf("agent: no HTTP probe for %s", name)
			continue
		}
		if probe.HTTPGet.Path != name || probe.HTTPGet.Port.StrVal != "health" {
			t.Errorf("agent: probe %s goes to %s on port %s", name, probe.HTTPGet.Path, probe.HTTPGet.Port.String())
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("agent: want cpu and memory requests and a memory limit, got %+v", c.Resources)
	}
	if !strings.HasPrefix(c.Image, "nftpolicy:") {
		t.Errorf("agent: image %q; the overlays' images entry renames \"nftpolicy\"", c.Image)
	}

	// The metrics Service selects the agent's pods and targets its named metrics port.
	labels := in.ds.Spec.Template.Labels
	for k, v := range in.metrics.Spec.Selector {
		if labels[k] != v {
			t.Errorf("metrics Service selects %s=%s; the agent's pods have %v", k, v, labels)
		}
	}
	for k, v := range in.ds.Spec.Selector.MatchLabels {
		if labels[k] != v {
			t.Errorf("DaemonSet selector %s=%s does not match its template's labels %v", k, v, labels)
		}
	}
	if len(in.metrics.Spec.Ports) != 1 || in.metrics.Spec.Ports[0].TargetPort.StrVal != "metrics" ||
		in.metrics.Spec.Ports[0].Port != metricsPort {
		t.Errorf("metrics Service ports %+v, want %d to the named port metrics", in.metrics.Spec.Ports, metricsPort)
	}

	// The binding gives the agent's service account the generated role.
	if in.binding.RoleRef.Kind != "ClusterRole" || in.binding.RoleRef.Name != in.role.Name {
		t.Errorf("binding refers to %s %s, want ClusterRole %s", in.binding.RoleRef.Kind, in.binding.RoleRef.Name, in.role.Name)
	}
	if len(in.binding.Subjects) != 1 || in.binding.Subjects[0].Kind != "ServiceAccount" ||
		in.binding.Subjects[0].Name != in.sa.Name || in.binding.Subjects[0].Namespace != namespace {
		t.Errorf("binding subjects %+v, want ServiceAccount %s/%s", in.binding.Subjects, namespace, in.sa.Name)
	}
}

// TestDefaultRoleLeastPrivilege pins what the generated ClusterRole grants: reads of the objects NetworkPolicy
// and ClusterNetworkPolicy semantics depend on (Nodes: their addresses are what a nodes peer matches, and the
// agent's own one gets an owner reference), Events, the agent's own status kind — nothing else, and never
// delete, a wildcard, secrets or ClusterNetworkPolicy status. The two creates of reviews are for /metrics:
// controller-runtime's authentication and authorization filter checks a scraper's bearer token with a
// TokenReview and its right to get /metrics with a SubjectAccessReview (controllers/manager.go,
// metricsServerOptions). Reviews are not stored: they answer a question and are gone.
func TestDefaultRoleLeastPrivilege(t *testing.T) {
	in := buildDefault(t)
	want := map[string][]string{
		"/namespaces":                       {"get", "list", "watch"},
		"/pods":                             {"get", "list", "watch"},
		"/nodes":                            {"get", "list", "watch"},
		"networking.k8s.io/networkpolicies": {"get", "list", "watch"},
		"policy.networking.k8s.io/clusternetworkpolicies": {"get", "list", "watch"},
		"events.k8s.io/events":                            {"create", "patch"},
		"nftpolicy.dev/nodepolicystatuses":                {"create", "get", "patch", "update"},
		"nftpolicy.dev/nodepolicystatuses/status":         {"get", "patch", "update"},
		"authentication.k8s.io/tokenreviews":              {"create"},
		"authorization.k8s.io/subjectaccessreviews":       {"create"},
	}
	got := map[string][]string{}
	for _, r := range in.role.Rules {
		if len(r.ResourceNames) != 0 || len(r.NonResourceURLs) != 0 {
			t.Errorf("role: unexpected rule %+v", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				k := g + "/" + res
				got[k] = append(got[k], r.Verbs...)
			}
		}
	}
	for k, verbs := range got {
		slices.Sort(verbs)
		got[k] = slices.Compact(verbs)
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("role: %s verbs %v, want %v", k, got[k], w)
		}
	}
	for k, verbs := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("role: grants %v on %s, which the agent does not need", verbs, k)
		}
		if strings.Contains(k, "*") || slices.Contains(verbs, "*") || slices.Contains(verbs, "delete") {
			t.Errorf("role: %s %v: no wildcards and no delete", k, verbs)
		}
	}
}

// TestDefaultMetricsReaderRole: the role a scraper needs grants get on /metrics and nothing else. The install
// binds it to nobody (the scraper's service account depends on how Prometheus is installed).
func TestDefaultMetricsReaderRole(t *testing.T) {
	in := buildDefault(t)
	want := []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
	if !reflect.DeepEqual(in.reader.Rules, want) || in.reader.AggregationRule != nil {
		t.Errorf("%s: rules %+v, aggregation %+v; want only %+v", metricsReader, in.reader.Rules, in.reader.AggregationRule, want)
	}
	if in.binding.RoleRef.Name == metricsReader {
		t.Errorf("the agent's binding refers to %s", metricsReader)
	}
}

// TestPrometheusMonitor checks config/prometheus against the install: the ServiceMonitor selects the metrics
// Service and its port by name, and scrapes over HTTPS with Prometheus's service account token, which is what
// the agent's /metrics accepts.
func TestPrometheusMonitor(t *testing.T) {
	in := buildDefault(t)
	objs, err := build("prometheus")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Kind != "ServiceMonitor" {
		t.Fatalf("config/prometheus builds %d objects, want one ServiceMonitor", len(objs))
	}
	var sm struct {
		Spec struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			Endpoints []struct {
				Port            string `json:"port"`
				Path            string `json:"path"`
				Scheme          string `json:"scheme"`
				Interval        string `json:"interval"`
				BearerTokenFile string `json:"bearerTokenFile"`
				TLSConfig       struct {
					InsecureSkipVerify bool `json:"insecureSkipVerify"`
				} `json:"tlsConfig"`
			} `json:"endpoints"`
		} `json:"spec"`
	}
	if err := json.UnmarshalCaseSensitivePreserveInts(objs[0].json, &sm); err != nil {
		t.Fatal(err)
	}
	for k, v := range sm.Spec.Selector.MatchLabels {
		if in.metrics.Labels[k] != v {
			t.Errorf("ServiceMonitor selects %s=%s; the metrics Service has labels %v", k, v, in.metrics.Labels)
		}
	}
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints %+v, want one", sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != in.metrics.Spec.Ports[0].Name || ep.Path != "/metrics" {
		t.Errorf("ServiceMonitor scrapes port %q path %q; the Service's port is %q", ep.Port, ep.Path, in.metrics.Spec.Ports[0].Name)
	}
	if ep.Scheme != "https" || ep.BearerTokenFile != "/var/run/secrets/kubernetes.io/serviceaccount/token" {
		t.Errorf("ServiceMonitor: scheme %q, bearerTokenFile %q; the agent serves HTTPS to a service account token only",
			ep.Scheme, ep.BearerTokenFile)
	}
	if !ep.TLSConfig.InsecureSkipVerify {
		t.Errorf("ServiceMonitor: the agent's default certificate is self-signed; without insecureSkipVerify (or a CA) no scrape succeeds")
	}
}

// TestDefaultOwnNodePolicy checks the static half of the admission policy: it applies to the agent's service
// account in the namespace the overlay installs it in, to creates and updates of NodePolicyStatus and its
// status, and it denies. (envtest_test.go shows it admitting and refusing real requests.)
func TestDefaultOwnNodePolicy(t *testing.T) {
	in := buildDefault(t)
	user := fmt.Sprintf("'system:serviceaccount:%s:%s'", in.sa.Namespace, in.sa.Name)
	if len(in.vap.Spec.MatchConditions) != 1 || !strings.Contains(in.vap.Spec.MatchConditions[0].Expression, user) {
		t.Errorf("policy: match conditions %+v do not name the agent's service account %s", in.vap.Spec.MatchConditions, user)
	}
	if fp := in.vap.Spec.FailurePolicy; fp == nil || *fp != admissionv1.Fail {
		t.Error("policy: failurePolicy must be Fail")
	}
	rules := in.vap.Spec.MatchConstraints.ResourceRules
	if len(rules) != 1 ||
		!slices.Equal(rules[0].APIGroups, []string{"nftpolicy.dev"}) ||
		!slices.Equal(rules[0].Resources, []string{"nodepolicystatuses", "nodepolicystatuses/status"}) ||
		!slices.Equal(rules[0].Operations, []admissionv1.OperationType{admissionv1.Create, admissionv1.Update}) {
		t.Errorf("policy: resource rules %+v", rules)
	}
	if in.vapBinding.Spec.PolicyName != in.vap.Name ||
		!slices.Equal(in.vapBinding.Spec.ValidationActions, []admissionv1.ValidationAction{admissionv1.Deny}) {
		t.Errorf("policy binding: %+v, want Deny for %s", in.vapBinding.Spec, in.vap.Name)
	}
}

// TestCRDPrinterColumns checks that every printer column of the NodePolicyStatus CRD points at a field its
// schema has (a misspelt JSONPath shows an empty column, silently).
func TestCRDPrinterColumns(t *testing.T) {
	in := buildDefault(t)
	spec := in.crd["spec"].(map[string]any)
	if spec["scope"] != "Cluster" {
		t.Errorf("CRD scope %v, want Cluster (one object per node)", spec["scope"])
	}
	versions := spec["versions"].([]any)
	if len(versions) != 1 {
		t.Fatalf("CRD has %d versions, want 1", len(versions))
	}
	v := versions[0].(map[string]any)
	if sub, _ := v["subresources"].(map[string]any); sub == nil || sub["status"] == nil {
		t.Error("CRD: no status subresource")
	}
	schema := v["schema"].(map[string]any)["openAPIV3Schema"].(map[string]any)
	cols := v["additionalPrinterColumns"].([]any)
	var names []string
	for _, c := range cols {
		c := c.(map[string]any)
		names = append(names, c["name"].(string))
		path := c["jsonPath"].(string)
		if strings.HasPrefix(path, ".metadata.") {
			continue
		}
		if err := schemaHas(schema, path); err != nil {
			t.Errorf("printer column %s: %v", c["name"], err)
		}
	}
	for _, w := range []string{"Synced", "Policies", "Pods", "Elements", "Last Sync", "Age", "Error"} {
		if !slices.Contains(names, w) {
			t.Errorf("CRD printer columns %v lack %q", names, w)
		}
	}
}

var filters = regexp.MustCompile(`\[\?\([^)]*\)\]`)

// schemaHas walks a JSONPath of dotted fields, where a field may carry one filter ([?(...)]) into an array's
// items, through an OpenAPI v3 schema.
func schemaHas(schema map[string]any, path string) error {
	node := schema
	for _, part := range strings.Split(filters.ReplaceAllString(strings.TrimPrefix(path, "."), "[]"), ".") {
		field, filtered := strings.CutSuffix(part, "[]")
		props, _ := node["properties"].(map[string]any)
		next, ok := props[field].(map[string]any)
		if !ok {
			return fmt.Errorf("%s: the schema has no field %q", path, field)
		}
		if filtered {
			if next["type"] != "array" {
				return fmt.Errorf("%s: %s is filtered but not an array", path, field)
			}
			next = next["items"].(map[string]any)
		}
		node = next
	}
	return nil
}

// TestCleanupOverlay checks the uninstall DaemonSet: it runs `nftpolicy cleanup` with CAP_NET_ADMIN only, in the
// node's network namespace, and has no API access.
func TestCleanupOverlay(t *testing.T) {
	objs, err := build("cleanup")
	if err != nil {
		t.Fatal(err)
	}
	var ds appsv1.DaemonSet
	found := false
	for _, o := range objs {
		if o.Kind == "DaemonSet" {
			strictDecode(t, o, &ds)
			found = true
		}
	}
	if !found {
		t.Fatal("config/cleanup builds no DaemonSet")
	}
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork || spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Error("cleanup: want hostNetwork and no service account token")
	}
	if len(spec.InitContainers) != 1 || !slices.Equal(spec.InitContainers[0].Args, []string{"cleanup"}) {
		t.Fatalf("cleanup: want one init container running cleanup, got %+v", spec.InitContainers)
	}
	caps := spec.InitContainers[0].SecurityContext.Capabilities
	if !slices.Equal(caps.Drop, []corev1.Capability{"ALL"}) || !slices.Equal(caps.Add, []corev1.Capability{"NET_ADMIN"}) {
		t.Errorf("cleanup: capabilities drop %v add %v; want drop [ALL] add [NET_ADMIN]", caps.Drop, caps.Add)
	}
}

package controllers

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

func fullPod() *corev1.Pod {
	always := corev1.ContainerRestartPolicyAlways
	now := metav1.Now()
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "x", Name: "web", UID: "u1", ResourceVersion: "7", Labels: map[string]string{"app": "web"},
			Annotations:       map[string]string{"big": "annotation"},
			ManagedFields:     []metav1.ManagedFieldsEntry{{Manager: "kubectl"}},
			OwnerReferences:   []metav1.OwnerReference{{Name: "rs"}},
			DeletionTimestamp: &now,
		},
		Spec: corev1.PodSpec{
			NodeName: "node-a", HostNetwork: false, ServiceAccountName: "sa",
			Containers: []corev1.Container{
				{Name: "app", Image: "img", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
					Env: []corev1.EnvVar{{Name: "A", Value: "b"}}},
				{Name: "noports", Image: "img"},
			},
			InitContainers: []corev1.Container{
				{Name: "init", Ports: []corev1.ContainerPort{{Name: "x", ContainerPort: 1}}},
				{Name: "sidecar", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}},
			},
			Volumes: []corev1.Volume{{Name: "v"}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.0.0.1", PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}},
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady}}, HostIP: "192.168.0.1",
		},
	}
}

func TestTransformPodKeepsWhatTheBuilderReads(t *testing.T) {
	in := fullPod()
	got, err := TransformPod(in)
	if err != nil {
		t.Fatal(err)
	}
	always := corev1.ContainerRestartPolicyAlways
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "x", Name: "web", UID: "u1", ResourceVersion: "7",
			Labels: map[string]string{"app": "web"}, DeletionTimestamp: in.DeletionTimestamp},
		Spec: corev1.PodSpec{
			NodeName:       "node-a",
			Containers:     []corev1.Container{{Name: "app", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}}},
			InitContainers: []corev1.Container{{Name: "sidecar", RestartPolicy: &always, Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}}},
		},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1",
			PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}, {IP: "fd00::1"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TransformPod =\n%+v\nwant\n%+v", got, want)
	}
	again, _ := TransformPod(got)
	if !reflect.DeepEqual(again, want) {
		t.Error("TransformPod is not idempotent")
	}
}

func TestTransformNamespaceAndPolicy(t *testing.T) {
	ns := &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: "x", UID: "u", ResourceVersion: "1", Labels: map[string]string{"a": "b"},
			Annotations: map[string]string{"c": "d"}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}},
		Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"kubernetes"}},
		Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
	}
	got, _ := TransformNamespace(ns)
	want := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "x", UID: "u", ResourceVersion: "1",
		Labels: map[string]string{"a": "b"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TransformNamespace = %+v, want %+v", got, want)
	}

	np := allowFrom("p", "web", "client")
	np.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{...}"}
	np.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m"}}
	np.Generation = 4
	gotNP, _ := TransformNetworkPolicy(np)
	p := gotNP.(*networkingv1.NetworkPolicy)
	if p.Annotations != nil || p.ManagedFields != nil || p.Generation != 4 ||
		!reflect.DeepEqual(p.Spec, np.Spec) || p.Name != "p" || p.Namespace != "x" {
		t.Errorf("TransformNetworkPolicy = %+v", p)
	}
}

// TestTransformNodeAndClusterPolicy: a Node keeps its labels and addresses (what a nodes peer reads), a
// ClusterNetworkPolicy its spec and generation; both are idempotent.
func TestTransformNodeAndClusterPolicy(t *testing.T) {
	n := node("node-b", "b", "192.0.2.2")
	n.UID, n.ResourceVersion, n.Annotations = "u", "3", map[string]string{"a": "b"}
	n.Spec.PodCIDR = "10.244.2.0/24"
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	n.Status.Images = []corev1.ContainerImage{{Names: []string{"img"}, SizeBytes: 1 << 30}}
	got, _ := TransformNode(n)
	want := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-b", UID: "u", ResourceVersion: "3",
		Labels: map[string]string{"zone": "b"}}, Status: corev1.NodeStatus{Addresses: n.Status.Addresses}}
	if again, _ := TransformNode(got); !reflect.DeepEqual(got, want) || !reflect.DeepEqual(again, want) {
		t.Errorf("TransformNode = %+v, want %+v", got, want)
	}

	p := withDomainNames(denyClientsToWeb("p"))
	p.Generation, p.Annotations = 7, map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{...}"}
	p.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "m"}}
	p.Status.Conditions = []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionTrue}}
	gotP, _ := TransformClusterNetworkPolicy(p)
	cp := gotP.(*cnp.ClusterNetworkPolicy)
	if cp.Annotations != nil || cp.ManagedFields != nil || cp.Status.Conditions != nil || cp.Generation != 7 ||
		!reflect.DeepEqual(cp.Spec, p.Spec) || cp.Name != "p" {
		t.Errorf("TransformClusterNetworkPolicy = %+v", cp)
	}
	if again, _ := TransformClusterNetworkPolicy(cp); !reflect.DeepEqual(again, cp) {
		t.Errorf("TransformClusterNetworkPolicy is not idempotent: %+v", again)
	}
}

func TestTransformsPassTombstonesThrough(t *testing.T) {
	tomb := toolscache.DeletedFinalStateUnknown{Key: "x/web", Obj: fullPod()}
	for _, f := range []toolscache.TransformFunc{TransformPod, TransformNamespace, TransformNetworkPolicy,
		TransformNode, TransformClusterNetworkPolicy} {
		got, err := f(tomb)
		if err != nil || !reflect.DeepEqual(got, tomb) {
			t.Errorf("tombstone changed: %v, %v", got, err)
		}
	}
}

func TestChangedIgnoresWhatTheBuilderDoesNotRead(t *testing.T) {
	a, _ := TransformPod(fullPod())
	p1 := a.(*corev1.Pod)
	p2 := p1.DeepCopy()
	p2.ResourceVersion = "8"
	if changed(p1, p2) {
		t.Error("a new resourceVersion alone counts as a change")
	}
	p2.Labels["tier"] = "x"
	if !changed(p1, p2) {
		t.Error("a label change does not count")
	}
	p3 := p1.DeepCopy()
	p3.Status.PodIPs = nil
	if !changed(p1, p3) {
		t.Error("an address change does not count")
	}
	n1 := namespace("x", map[string]string{"a": "b"})
	n2 := n1.DeepCopy()
	n2.ResourceVersion = "2"
	if changed(n1, n2) {
		t.Error("namespace resourceVersion counts as a change")
	}
	n2.Labels["a"] = "c"
	if !changed(n1, n2) {
		t.Error("namespace label change does not count")
	}
	np1 := allowFrom("p", "web", "client")
	np2 := np1.DeepCopy()
	np2.Labels = map[string]string{"x": "y"}
	if changed(np1, np2) {
		t.Error("a policy's own labels count as a change")
	}
	np2.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	if !changed(np1, np2) {
		t.Error("a policy spec change does not count")
	}
	c1 := denyClientsToWeb("c")
	c2 := c1.DeepCopy()
	c2.Labels, c2.Status.Conditions = map[string]string{"x": "y"}, []metav1.Condition{{Type: "Accepted"}}
	if changed(c1, c2) {
		t.Error("a ClusterNetworkPolicy's labels or status count as a change")
	}
	c2.Spec.Priority++
	if !changed(c1, c2) {
		t.Error("a ClusterNetworkPolicy spec change does not count")
	}
	nd1 := node("n", "a", "192.0.2.1")
	nd2 := nd1.DeepCopy()
	nd2.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, LastHeartbeatTime: metav1.Now()}}
	nd2.Spec.Unschedulable = true
	if changed(nd1, nd2) {
		t.Error("a node's heartbeat or spec counts as a change")
	}
	nd2.Status.Addresses = append(nd2.Status.Addresses, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: "198.51.100.1"})
	if !changed(nd1, nd2) {
		t.Error("a node address change does not count")
	}
	nd3 := nd1.DeepCopy()
	nd3.Labels["zone"] = "b"
	if !changed(nd1, nd3) {
		t.Error("a node label change does not count")
	}
}

package controllers

import (
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// The cache's transform functions. Every agent caches every Pod and Node of the cluster, so a Pod is cut down to
// what the IR builder reads (compiler/build): identity, labels, node, hostNetwork, phase, addresses, and the
// ports of its containers and sidecar init containers; a Node to its labels and addresses. Anything else passed in (a deletion tombstone) is returned as is.
// Each returns a new object and is idempotent.

// TransformPod keeps name, namespace, uid, resourceVersion, labels, deletionTimestamp, spec.nodeName,
// spec.hostNetwork, the ports of containers and of init containers with restartPolicy Always, status.phase,
// status.podIP and status.podIPs.
func TransformPod(in any) (any, error) {
	p, ok := in.(*corev1.Pod)
	if !ok {
		return in, nil
	}
	out := &corev1.Pod{
		ObjectMeta: identity(&p.ObjectMeta),
		Spec: corev1.PodSpec{
			NodeName:    p.Spec.NodeName,
			HostNetwork: p.Spec.HostNetwork,
			Containers:  containerPorts(p.Spec.Containers, false),
		},
		Status: corev1.PodStatus{Phase: p.Status.Phase, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs},
	}
	out.DeletionTimestamp = p.DeletionTimestamp
	out.Spec.InitContainers = containerPorts(p.Spec.InitContainers, true)
	return out, nil
}

// containerPorts keeps the ports (and restart policy) of containers that have ports; sidecarsOnly drops init
// containers that are not sidecars.
func containerPorts(cs []corev1.Container, sidecarsOnly bool) []corev1.Container {
	var out []corev1.Container
	for _, c := range cs {
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		if len(c.Ports) == 0 || (sidecarsOnly && !sidecar) {
			continue
		}
		out = append(out, corev1.Container{Name: c.Name, Ports: c.Ports, RestartPolicy: c.RestartPolicy})
	}
	return out
}

// TransformNamespace keeps name, uid, resourceVersion, labels and the audit annotation (ir.AuditAnnotation).
func TransformNamespace(in any) (any, error) {
	ns, ok := in.(*corev1.Namespace)
	if !ok {
		return in, nil
	}
	out := &corev1.Namespace{ObjectMeta: identity(&ns.ObjectMeta)}
	if v, ok := ns.Annotations[ir.AuditAnnotation]; ok {
		out.Annotations = map[string]string{ir.AuditAnnotation: v}
	}
	return out, nil
}

// TransformNetworkPolicy keeps the whole policy but its annotations and managed fields.
func TransformNetworkPolicy(in any) (any, error) {
	np, ok := in.(*networkingv1.NetworkPolicy)
	if !ok {
		return in, nil
	}
	out := &networkingv1.NetworkPolicy{ObjectMeta: identity(&np.ObjectMeta), Spec: np.Spec}
	out.Generation = np.Generation
	return out, nil
}

// TransformClusterNetworkPolicy keeps the whole policy but its annotations, managed fields and status (which
// other implementations may write, and which the builder does not read).
func TransformClusterNetworkPolicy(in any) (any, error) {
	p, ok := in.(*cnp.ClusterNetworkPolicy)
	if !ok {
		return in, nil
	}
	out := &cnp.ClusterNetworkPolicy{ObjectMeta: identity(&p.ObjectMeta), Spec: p.Spec}
	out.Generation = p.Generation
	return out, nil
}

// TransformNode keeps name, uid, resourceVersion, labels and status.addresses: what a ClusterNetworkPolicy
// nodes peer selects and matches. A Node's status is large (images, conditions) and changes often; the rest is
// never read.
func TransformNode(in any) (any, error) {
	n, ok := in.(*corev1.Node)
	if !ok {
		return in, nil
	}
	return &corev1.Node{ObjectMeta: identity(&n.ObjectMeta), Status: corev1.NodeStatus{Addresses: n.Status.Addresses}}, nil
}

// identity keeps what names an object, and its labels.
func identity(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            m.Name,
		Namespace:       m.Namespace,
		UID:             m.UID,
		ResourceVersion: m.ResourceVersion,
		Labels:          m.Labels,
	}
}

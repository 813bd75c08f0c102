package lab

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// systemNamespaces are made by the API server itself; clearing a scenario keeps them (without its labels and
// annotations).
var systemNamespaces = []string{"default", "kube-node-lease", "kube-public", "kube-system"}

// apply writes the scenario's objects to the API server: its Namespaces (created, or given the manifest's labels
// and annotations — nftpolicy.dev/audit among them — when they exist), the namespaces its other objects name,
// its Pods (bound to the lab node, without status: the kubelet writes it), NetworkPolicies and
// ClusterNetworkPolicies. Errors name the object and its file.
func apply(ctx context.Context, c client.Client, s *scenario, node string) error {
	nss := map[string]metav1.ObjectMeta{}
	for _, ns := range s.objs.Namespaces {
		nss[ns.Name] = metav1.ObjectMeta{Labels: ns.Labels, Annotations: ns.Annotations}
	}
	for _, p := range s.objs.Pods {
		if _, ok := nss[p.Namespace]; !ok {
			nss[p.Namespace] = metav1.ObjectMeta{}
		}
	}
	for _, p := range s.objs.Policies {
		if _, ok := nss[p.Namespace]; !ok {
			nss[p.Namespace] = metav1.ObjectMeta{}
		}
	}
	for _, name := range sortedKeys(nss) {
		if err := putNamespace(ctx, c, name, nss[name]); err != nil {
			return fmt.Errorf("%sNamespace %s: %w", s.where("Namespace", name), name, err)
		}
	}
	for _, p := range s.objs.Pods {
		o := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Annotations: p.Annotations},
			Spec:       *p.Spec.DeepCopy(),
		}
		o.Spec.NodeName = node
		if err := c.Create(ctx, o); err != nil {
			key := p.Namespace + "/" + p.Name
			return fmt.Errorf("%sPod %s: %w", s.where("Pod", key), key, err)
		}
	}
	for _, p := range s.objs.Policies {
		o := &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name, Labels: p.Labels, Annotations: p.Annotations},
			Spec:       *p.Spec.DeepCopy(),
		}
		if err := c.Create(ctx, o); err != nil {
			key := p.Namespace + "/" + p.Name
			return fmt.Errorf("%sNetworkPolicy %s: %w", s.where("NetworkPolicy", key), key, err)
		}
	}
	for _, p := range s.objs.ClusterPolicies {
		o := &cnpv1beta1.ClusterNetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: p.Labels, Annotations: p.Annotations},
			Spec:       *p.Spec.DeepCopy(),
		}
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("%sClusterNetworkPolicy %s: %w", s.where("ClusterNetworkPolicy", p.Name), p.Name, err)
		}
	}
	return nil
}

// putNamespace creates the namespace with meta's labels and annotations, or sets them when it exists (the API
// server keeps kubernetes.io/metadata.name). Annotations matter: nftpolicy.dev/audit puts a namespace in audit
// mode.
func putNamespace(ctx context.Context, c client.Client, name string, meta metav1.ObjectMeta) error {
	labels, annotations := maps.Clone(meta.Labels), maps.Clone(meta.Annotations)
	ns := &corev1.Namespace{}
	err := c.Get(ctx, client.ObjectKey{Name: name}, ns)
	if apierrors.IsNotFound(err) {
		ns.ObjectMeta = metav1.ObjectMeta{Name: name, Labels: labels, Annotations: annotations}
		return c.Create(ctx, ns)
	}
	if err != nil {
		return err
	}
	if ns.DeletionTimestamp != nil {
		return fmt.Errorf("namespace is being deleted")
	}
	ns.Labels, ns.Annotations = labels, annotations
	return c.Update(ctx, ns)
}

// clear removes every ClusterNetworkPolicy, NetworkPolicy and Pod and every namespace the API server did not make itself (those lose
// the labels and annotations a scenario gave them, so audit mode does not outlive its scenario), and waits
// until they are gone. Without a namespace controller nobody would finish deleting a namespace, so clear
// finalizes them itself once they are empty.
func clear(ctx context.Context, c client.Client) error {
	var cnps cnpv1beta1.ClusterNetworkPolicyList
	if err := c.List(ctx, &cnps); err != nil {
		return fmt.Errorf("list clusternetworkpolicies: %w", err)
	}
	for i := range cnps.Items {
		if err := client.IgnoreNotFound(c.Delete(ctx, &cnps.Items[i])); err != nil {
			return fmt.Errorf("delete ClusterNetworkPolicy %s: %w", cnps.Items[i].Name, err)
		}
	}
	var pols networkingv1.NetworkPolicyList
	if err := c.List(ctx, &pols); err != nil {
		return fmt.Errorf("list networkpolicies: %w", err)
	}
	for i := range pols.Items {
		if err := client.IgnoreNotFound(c.Delete(ctx, &pols.Items[i])); err != nil {
			return fmt.Errorf("delete NetworkPolicy %s/%s: %w", pols.Items[i].Namespace, pols.Items[i].Name, err)
		}
	}
	var pods corev1.PodList
	if err := c.List(ctx, &pods); err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	for i := range pods.Items {
		if err := client.IgnoreNotFound(c.Delete(ctx, &pods.Items[i], client.GracePeriodSeconds(0))); err != nil {
			return fmt.Errorf("delete Pod %s/%s: %w", pods.Items[i].Namespace, pods.Items[i].Name, err)
		}
	}
	var nss corev1.NamespaceList
	if err := c.List(ctx, &nss); err != nil {
		return fmt.Errorf("list namespaces: %w", err)
	}
	for i := range nss.Items {
		ns := &nss.Items[i]
		if slices.Contains(systemNamespaces, ns.Name) {
			if len(ns.Labels) > 1 || len(ns.Annotations) > 0 {
				ns.Labels, ns.Annotations = nil, nil
				if err := c.Update(ctx, ns); err != nil {
					return fmt.Errorf("reset labels and annotations of Namespace %s: %w", ns.Name, err)
				}
			}
			continue
		}
		if err := deleteNamespace(ctx, c, ns); err != nil {
			return fmt.Errorf("delete Namespace %s: %w", ns.Name, err)
		}
	}
	return waitEmpty(ctx, c)
}

// deleteNamespace deletes ns and removes the "kubernetes" finalizer the namespace controller would remove.
func deleteNamespace(ctx context.Context, c client.Client, ns *corev1.Namespace) error {
	if err := client.IgnoreNotFound(c.Delete(ctx, ns)); err != nil {
		return err
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(ns), ns); err != nil {
		return client.IgnoreNotFound(err)
	}
	ns.Spec.Finalizers = nil
	return client.IgnoreNotFound(c.SubResource("finalize").Update(ctx, ns))
}

// waitEmpty waits until no pod, policy, cluster policy or non-system namespace is left.
func waitEmpty(ctx context.Context, c client.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		var pods corev1.PodList
		var pols networkingv1.NetworkPolicyList
		var cnps cnpv1beta1.ClusterNetworkPolicyList
		var nss corev1.NamespaceList
		err := c.List(ctx, &pods)
		if err == nil {
			err = c.List(ctx, &pols)
		}
		if err == nil {
			err = c.List(ctx, &cnps)
		}
		if err == nil {
			err = c.List(ctx, &nss)
		}
		if err == nil && len(pods.Items) == 0 && len(pols.Items) == 0 && len(cnps.Items) == 0 && onlySystem(nss.Items) {
			return nil
		}
		if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for the previous scenario's objects to go: %w", err)
		}
	}
}

func onlySystem(nss []corev1.Namespace) bool {
	for _, ns := range nss {
		if !slices.Contains(systemNamespaces, ns.Name) {
			return false
		}
	}
	return true
}

package conformance

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	upstream "sigs.k8s.io/network-policy-api/conformance"

	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"
)

// Objects are the policies of one test: its manifest's objects after the step's edits.
type Objects struct {
	ClusterPolicies []*cnp.ClusterNetworkPolicy
	Policies        []*networkingv1.NetworkPolicy
}

// clusterPolicy returns the ClusterNetworkPolicy named name.
func (o *Objects) clusterPolicy(name string) (*cnp.ClusterNetworkPolicy, error) {
	for _, p := range o.ClusterPolicies {
		if p.Name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no ClusterNetworkPolicy %s", name)
}

// loadManifest reads one of upstream's manifests from the module (conformance.Manifests, the files the suite
// applies), fills in its template fields as the suite does (.HostNetworkPorts) and decodes its objects.
func loadManifest(path string) (*Objects, error) {
	raw, err := upstream.Manifests.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", path, err)
	}
	tpl, err := template.New(path).Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("parse manifest template %s: %w", path, err)
	}
	var text bytes.Buffer
	if err := tpl.Execute(&text, struct{ HostNetworkPorts []int }{hostNetworkPortList()}); err != nil {
		return nil, fmt.Errorf("fill manifest template %s: %w", path, err)
	}
	o := &Objects{}
	for i, doc := range strings.Split(text.String(), "\n---") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
			return nil, fmt.Errorf("manifest %s document %d: %w", path, i, err)
		}
		switch tm.Kind {
		case "ClusterNetworkPolicy":
			p := &cnp.ClusterNetworkPolicy{}
			if err := yaml.UnmarshalStrict([]byte(doc), p); err != nil {
				return nil, fmt.Errorf("manifest %s document %d: %w", path, i, err)
			}
			o.ClusterPolicies = append(o.ClusterPolicies, p)
		case "NetworkPolicy":
			p := &networkingv1.NetworkPolicy{}
			if err := yaml.UnmarshalStrict([]byte(doc), p); err != nil {
				return nil, fmt.Errorf("manifest %s document %d: %w", path, i, err)
			}
			o.Policies = append(o.Policies, p)
		default:
			return nil, fmt.Errorf("manifest %s document %d: unexpected kind %q", path, i, tm.Kind)
		}
	}
	return o, nil
}

package manifest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// Objects are the objects read from a set of files.
type Objects struct {
	Namespaces []*corev1.Namespace
	Pods       []*corev1.Pod
	Nodes      []*corev1.Node
	Policies   []*networkingv1.NetworkPolicy
	// ClusterPolicies are ClusterNetworkPolicies, read from v1beta1 or v1alpha2 into the v1beta1 type.
	ClusterPolicies []*cnpv1beta1.ClusterNetworkPolicy
	// Sources maps "Kind name" (cluster-scoped) or "Kind namespace/name" to where the object was read,
	// e.g. "pods.yaml: document 3", so later errors about an object can name its file.
	Sources map[string]string
}

// Len is the number of objects.
func (o *Objects) Len() int {
	return len(o.Namespaces) + len(o.Pods) + len(o.Nodes) + len(o.Policies) + len(o.ClusterPolicies)
}

// Cluster is the builder's input made of every object read: the one place that hands Objects to package build,
// so that no kind is left behind.
func (o *Objects) Cluster() build.Cluster {
	return build.Cluster{Namespaces: o.Namespaces, Pods: o.Pods, Policies: o.Policies,
		ClusterPolicies: o.ClusterPolicies, Nodes: o.Nodes}
}

// Source returns where the object named id ("Kind ns/name") was read, or "" when unknown.
func (o *Objects) Source(id string) string { return o.Sources[id] }

// Load reads every path: a file, a directory (its *.yaml, *.yml and *.json files, sorted, not recursive) or
// "-" for stdin.
func Load(paths []string, stdin io.Reader) (*Objects, error) {
	l := &loader{seen: map[string]string{}, objs: &Objects{Sources: map[string]string{}}}
	for _, p := range paths {
		if err := l.loadPath(p, stdin); err != nil {
			return nil, err
		}
	}
	return l.objs, nil
}

type loader struct {
	objs *Objects
	// seen maps "Kind ns/name" to the file that defined it, to reject duplicates.
	seen map[string]string
}

func (l *loader) loadPath(path string, stdin io.Reader) error {
	if path == "-" {
		return l.loadStream("<stdin>", stdin)
	}
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if !info.IsDir() {
		return l.loadFile(path)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	slices.Sort(files)
	for _, f := range files {
		if err := l.loadFile(f); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer f.Close()
	return l.loadStream(path, f)
}

// loadStream decodes every document of one file.
func (l *loader) loadStream(name string, r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, d := range docs {
		raw := bytes.TrimSpace(d.raw)
		if len(raw) == 0 || string(raw) == "null" {
			continue // an empty document between two "---"
		}
		if err := l.addDocument(fmt.Sprintf("%s: document %d", name, d.n), name, raw, d.dup); err != nil {
			return err
		}
	}
	return nil
}

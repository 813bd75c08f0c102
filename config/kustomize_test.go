// Package config holds the kustomize install (no Go code). Its tests stand in for `kubectl kustomize`, which CI
// does not have: every YAML file parses, every kustomization's resources exist, and the objects the overlays
// build are decoded strictly into their Kubernetes types (a misspelt field fails) and checked against each other
// — the agent's service account, role and ports, its security context, the CRD's printer columns.
package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// kustomization is the part of kustomize's schema these overlays use. Decoding is strict: a kustomization that
// uses more (patches, components, labels, ...) fails here until build below learns to apply it.
type kustomization struct {
	APIVersion string   `json:"apiVersion,omitempty"`
	Kind       string   `json:"kind,omitempty"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources,omitempty"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
	} `json:"images,omitempty"`
}

// object is one manifest of a build: where it came from, its raw JSON and the fields every object has.
type object struct {
	source     string
	json       []byte
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace,omitempty"`
	} `json:"metadata"`
}

func (o object) key() string { return o.Kind + "/" + o.Metadata.Namespace + "/" + o.Metadata.Name }

// clusterScoped are the kinds kustomize's namespace transformer leaves alone (those that appear here).
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
	"ValidatingAdmissionPolicy": true, "ValidatingAdmissionPolicyBinding": true,
}

// readDocs returns the YAML documents of a file as JSON, empty documents (comments only) dropped.
func readDocs(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	var docs [][]byte
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		j, err := yaml.YAMLToJSONStrict(doc) // a duplicate key is an error, not "the last one wins"
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", path, i, err)
		}
		if t := bytes.TrimSpace(j); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		docs = append(docs, j)
	}
}

func readKustomization(dir string) (*kustomization, error) {
	path := filepath.Join(dir, "kustomization.yaml")
	docs, err := readDocs(path)
	if err != nil {
		return nil, err
	}
	if len(docs) != 1 {
		return nil, fmt.Errorf("%s: want one document, got %d", path, len(docs))
	}
	var k kustomization
	strict, err := json.UnmarshalStrict(docs[0], &k, json.DisallowUnknownFields)
	if err == nil {
		err = errors.Join(strict...)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &k, nil
}

// build does what `kustomize build dir` does with the features these overlays use: resources (files and
// directories with a kustomization.yaml, recursively), namespace, images.
func build(dir string) ([]object, error) {
	k, err := readKustomization(dir)
	if err != nil {
		return nil, err
	}
	var objs []object
	for _, res := range k.Resources {
		path := filepath.Join(dir, res)
		st, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%s/kustomization.yaml: resource %s: %w", dir, res, err)
		}
		if st.IsDir() {
			sub, err := build(path)
			if err != nil {
				return nil, err
			}
			objs = append(objs, sub...)
			continue
		}
		docs, err := readDocs(path)
		if err != nil {
			return nil, err
		}
		for _, d := range docs {
			o := object{source: path, json: d}
			if err := yaml.Unmarshal(d, &o); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			objs = append(objs, o)
		}
	}
	for i := range objs {
		if err := transform(&objs[i], k); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", dir, objs[i].source, err)
		}
	}
	return objs, nil
}

// transform applies k's namespace and images to o.
func transform(o *object, k *kustomization) error {
	if k.Namespace == "" && len(k.Images) == 0 {
		return nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(o.json, &m); err != nil {
		return err
	}
	if k.Namespace != "" && !clusterScoped[o.Kind] {
		m["metadata"].(map[string]any)["namespace"] = k.Namespace
		o.Metadata.Namespace = k.Namespace
	}
	if k.Namespace != "" && (o.Kind == "ClusterRoleBinding" || o.Kind == "RoleBinding") {
		subjects, _ := m["subjects"].([]any)
		for _, s := range subjects {
			if s := s.(map[string]any); s["kind"] == "ServiceAccount" {
				s["namespace"] = k.Namespace
			}
		}
	}
	for _, img := range k.Images {
		setImage(m, img.Name, img.NewName, img.NewTag)
	}
	j, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	o.json, err = yaml.YAMLToJSON(j)
	return err
}

// setImage rewrites the image of every container and init container of a pod template whose image is name or
// name:tag.
func setImage(m map[string]any, name, newName, newTag string) {
	spec, _ := m["spec"].(map[string]any)
	tmpl, _ := spec["template"].(map[string]any)
	podSpec, _ := tmpl["spec"].(map[string]any)
	for _, field := range []string{"containers", "initContainers"} {
		cs, _ := podSpec[field].([]any)
		for _, c := range cs {
			c := c.(map[string]any)
			image, _ := c["image"].(string)
			if image != name && !strings.HasPrefix(image, name+":") {
				continue
			}
			n, tag, _ := strings.Cut(image, ":")
			if newName != "" {
				n = newName
			}
			if newTag != "" {
				tag = newTag
			}
			c["image"] = n + ":" + tag
		}
	}
}

// TestEveryYAMLParses reads every YAML file under config/: each document parses, and each one that is not a
// kustomization names its apiVersion, kind and metadata.name.
func TestEveryYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return err
		}
		n++
		if filepath.Base(path) == "kustomization.yaml" {
			_, err := readKustomization(filepath.Dir(path))
			return err
		}
		docs, err := readDocs(path)
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			t.Errorf("%s: no objects", path)
		}
		for i, d := range docs {
			var o object
			if err := yaml.Unmarshal(d, &o); err != nil {
				return fmt.Errorf("%s: document %d: %w", path, i, err)
			}
			if o.APIVersion == "" || o.Kind == "" || o.Metadata.Name == "" {
				t.Errorf("%s: document %d lacks apiVersion, kind or metadata.name", path, i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found only %d YAML files under config/", n)
	}
}

// TestEveryDirectoryBuilds builds every directory with a kustomization.yaml: its resources exist and no two
// objects share kind, namespace and name.
func TestEveryDirectoryBuilds(t *testing.T) {
	dirs := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if _, err := os.Stat(filepath.Join(path, "kustomization.yaml")); err != nil {
			return nil
		}
		dirs++
		objs, err := build(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		if len(objs) == 0 {
			t.Errorf("%s builds no objects", path)
		}
		seen := map[string]string{}
		for _, o := range objs {
			if prev, ok := seen[o.key()]; ok {
				t.Errorf("%s: %s twice (%s, %s)", path, o.key(), prev, o.source)
			}
			seen[o.key()] = o.source
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if dirs < 7 {
		t.Fatalf("found only %d kustomization directories under config/", dirs)
	}
}

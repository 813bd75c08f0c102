package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// liveTimeout bounds the reads from a live cluster.
const liveTimeout = 30 * time.Second

// sourceFlags say where the cluster's state comes from: the live cluster of the kubeconfig flags, or manifests.
type sourceFlags struct {
	config  *genericclioptions.ConfigFlags
	offline bool
	files   []string
}

func newSourceFlags() *sourceFlags {
	return &sourceFlags{config: genericclioptions.NewConfigFlags(true)}
}

func (f *sourceFlags) addTo(cmd *cobra.Command) {
	f.config.AddFlags(cmd.PersistentFlags())
	cmd.PersistentFlags().BoolVar(&f.offline, "offline", false,
		"read the cluster from -f manifests instead of the API server (-f implies it)")
}

// addFiles registers -f on a command whose files are the cluster's state.
func (f *sourceFlags) addFiles(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil,
		`manifests of the cluster (Namespaces, Pods, NetworkPolicies, Lists; a directory: its *.yaml/*.yml/*.json; "-": stdin); implies --offline`)
}

// state is a cluster as a command reads it.
type state struct {
	cluster build.Cluster
	objs    *manifest.Objects // offline: where each object came from (nil live)
	from    string            // for messages: the files, or the cluster's server
}

// load reads the cluster: from the files when any are given or --offline is set, else from the API server.
func (f *sourceFlags) load(ctx context.Context, in io.Reader) (*state, error) {
	if len(f.files) > 0 || f.offline {
		if len(f.files) == 0 {
			return nil, errors.New("--offline needs -f FILE|DIR with the cluster's manifests")
		}
		objs, err := manifest.Load(f.files, in)
		if err != nil {
			return nil, err
		}
		if objs.Len() == 0 {
			return nil, fmt.Errorf("no objects found in %s", fileList(f.files))
		}
		return &state{
			cluster: build.Cluster{Namespaces: objs.Namespaces, Pods: objs.Pods, Policies: objs.Policies},
			objs:    objs, from: fileList(f.files),
		}, nil
	}
	return f.loadLive(ctx)
}

// loadLive lists Namespaces, Pods and NetworkPolicies from the API server: get/list only.
func (f *sourceFlags) loadLive(ctx context.Context) (*state, error) {
	cfg, err := f.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("no cluster to read (%v); give the cluster's manifests with --offline -f FILE", err)
	}
	cfg.Timeout = liveTimeout
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("cannot reach the cluster at %s: %w (to work from manifests instead: --offline -f FILE)", cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	var nss corev1.NamespaceList
	var pods corev1.PodList
	var pols networkingv1.NetworkPolicyList
	for _, l := range []struct {
		what string
		list client.ObjectList
	}{{"namespaces", &nss}, {"pods", &pods}, {"networkpolicies", &pols}} {
		if err := c.List(ctx, l.list); err != nil {
			return nil, fmt.Errorf("cannot read %s from the cluster at %s: %w (to work from manifests instead: "+
				"--offline -f FILE)", l.what, cfg.Host, err)
		}
	}
	st := &state{from: cfg.Host}
	for i := range nss.Items {
		st.cluster.Namespaces = append(st.cluster.Namespaces, &nss.Items[i])
	}
	for i := range pods.Items {
		st.cluster.Pods = append(st.cluster.Pods, &pods.Items[i])
	}
	for i := range pols.Items {
		st.cluster.Policies = append(st.cluster.Policies, &pols.Items[i])
	}
	return st, nil
}

// locate prefixes an error about one object ("Kind ns/name: field: problem", as package build words them) with
// the file and document the object came from (offline).
func (s *state) locate(err error) error {
	return locate(err, s.objs)
}

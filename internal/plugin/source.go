package plugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

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
		`manifests of the cluster (Namespaces, Pods, Nodes, NetworkPolicies, ClusterNetworkPolicies, Lists; a directory: its *.yaml/*.yml/*.json; "-": stdin); implies --offline`)
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
			cluster: objs.Cluster(),
			objs:    objs, from: fileList(f.files),
		}, nil
	}
	return f.loadLive(ctx)
}

// loadLive lists Namespaces, Pods, NetworkPolicies and ClusterNetworkPolicies from the API server (get/list only;
// a cluster without the ClusterNetworkPolicy CRD has none), and the Nodes when a ClusterNetworkPolicy has a nodes
// peer, so that reading a cluster without them needs no access to nodes.
func (f *sourceFlags) loadLive(ctx context.Context) (*state, error) {
	cfg, err := f.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("no cluster to read (%v); give the cluster's manifests with --offline -f FILE", err)
	}
	cfg.Timeout = liveTimeout
	scheme, err := clusterScheme()
	if err != nil {
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
	var cnps cnpv1beta1.ClusterNetworkPolicyList
	var nodes corev1.NodeList
	for _, l := range []struct {
		what     string
		list     client.ObjectList
		optional bool // a CRD the cluster may not have
	}{{"namespaces", &nss, false}, {"pods", &pods, false}, {"networkpolicies", &pols, false},
		{"clusternetworkpolicies", &cnps, true}} {
		if err := c.List(ctx, l.list); err != nil && !(l.optional && meta.IsNoMatchError(err)) {
			return nil, fmt.Errorf("cannot read %s from the cluster at %s: %w (to work from manifests instead: "+
				"--offline -f FILE)", l.what, cfg.Host, err)
		}
	}
	if slices.ContainsFunc(cnps.Items, hasNodesPeer) {
		if err := c.List(ctx, &nodes); err != nil {
			return nil, fmt.Errorf("cannot read nodes from the cluster at %s (a ClusterNetworkPolicy has a nodes peer): %w "+
				"(to work from manifests instead: --offline -f FILE)", cfg.Host, err)
		}
	}
	return &state{from: cfg.Host, cluster: build.Cluster{Namespaces: ptrs(nss.Items), Pods: ptrs(pods.Items),
		Policies: ptrs(pols.Items), ClusterPolicies: ptrs(cnps.Items), Nodes: ptrs(nodes.Items)}}, nil
}

// clusterScheme knows the kinds the plugin reads and writes: the built-in ones and ClusterNetworkPolicy.
func clusterScheme() (*runtime.Scheme, error) {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := cnpv1beta1.Install(scheme); err != nil {
		return nil, err
	}
	return scheme, nil
}

// hasNodesPeer reports whether a ClusterNetworkPolicy selects nodes as egress peers.
func hasNodesPeer(p cnpv1beta1.ClusterNetworkPolicy) bool {
	for _, r := range p.Spec.Egress {
		for _, to := range r.To {
			if to.Nodes != nil {
				return true
			}
		}
	}
	return false
}

// ptrs points at every item of a list.
func ptrs[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// locate prefixes an error about one object ("Kind ns/name: field: problem", as package build words them) with
// the file and document the object came from (offline).
func (s *state) locate(err error) error {
	return locate(err, s.objs)
}

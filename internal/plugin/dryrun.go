package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// DryRunOptions are the flags of `dry-run`.
type DryRunOptions struct {
	src     *sourceFlags
	streams genericiooptions.IOStreams
	// Files hold the NetworkPolicies to apply (-f); Cluster the cluster's manifests (offline).
	Files, Cluster []string
	Delete         []string
	Validate       string
	Output         string
	Limit          int
}

const dryRunLong = `dry-run says what would change if NetworkPolicies were applied (-f: created, or replacing the policy of
the same namespace/name, as kubectl apply would) or deleted (--delete NS/NAME), without writing anything:

  - connectivity: the probes of "matrix" (every pod to every other pod, on the destination's container ports, in
    each address family both have) whose verdict changes, allow → deny ("lose access") and deny → allow ("gain
    access"), grouped and counted, with the reason: for a lost probe the policies that now isolate the side that
    denies it, for a gained one the rule that now allows it (or "no longer isolated").
    A group is anchored on the pod whose policies decide: "alpha/*, beta/client → beta/web TCP/80" (the ingress
    of beta/web, on one port) or "alpha/api → beta/*, gamma/web TCP/8081" (the egress of alpha/api). "ns/*" is
    every pod of ns that could be a peer (for egress: on every port it declares), "*/*" every pod of the cluster.
  - nftables: per node that hosts an eligible pod (pods without spec.nodeName count as node "(unscheduled)"), the
    difference between the table inet nftpolicy the agent installs before and after: chains and sets added,
    removed or rewritten, and set elements added and removed, as nft writes them. Unchanged nodes are counted.

The cluster is the live one (get/list only), or the manifests of --state FILE|DIR (--offline needs it; -f holds
the policies to apply). A policy without metadata.namespace goes to "default".

--validate=client (default) checks every policy as the agent does and names the file, object and field of an
error. --validate=server also sends each object to the API server as a server-side dry-run create or update
(and each --delete as a dry-run delete): nothing is stored, and a policy the API server refuses is reported
as kubectl would. It needs the live cluster.

-o table (default) lists at most --limit groups per direction, peers per group, rules per chain and elements
per set, then "... and N more". -o json and -o yaml list everything, as one document:

  policies:      [{policy: NS/NAME, action: create|update|unchanged|delete}]
  connectivity:
    lostProbes, gainedProbes: counts
    lost, gained: [group]
      summary:   "alpha/*, beta/client → beta/web TCP/80"
      side:      ingress (the destination's policies decide) | egress (the source's)
      pod:       the destination (ingress) or the source (egress)
      port:      "TCP/80" (ingress groups)
      family:    IPv4 | IPv6, when only that family of dual-stack pairs changes
      peers:     the other ends, as in summary ("ns/*", "ns/pod", egress: "ns/pod TCP/80,8443")
      causes:    [{side, isolated, isolatedBy: [NS/NAME], allowedBy: ["NS/NAME spec.ingress[i]"],
                   wasIsolatedBy: [NS/NAME]}]
      count:     probes in the group
      probes:    [{from, to, fromIP, toIP, port, protocol}]
  nodes:         [{node, chains: {added, removed, rewritten: [{name, comment, rulesAdded, rulesRemoved}]},
                   sets: {added, removed, changed: [{name, elementsAdded, elementsRemoved}]}}]
  unchangedNodes: count of the other nodes`

func newDryRunCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DryRunOptions{src: src, streams: streams}
	cmd := &cobra.Command{
		Use:   "dry-run -f POLICIES [--delete NS/NAME ...] [--state FILE|DIR]",
		Short: "What applying or deleting NetworkPolicies would change: connectivity and each node's ruleset",
		Long:  dryRunLong,
		Example: `  kubectl nftpolicy dry-run -f deny-all.yaml                      # against the live cluster
  kubectl nftpolicy dry-run -f new/ --delete shop/old-policy --validate=server
  kubectl nftpolicy dry-run --state cluster/ -f change.yaml -o json  # offline`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Files, "filename", "f", nil,
		`NetworkPolicies to apply (files, directories: their *.yaml/*.yml/*.json, "-": stdin; Lists too)`)
	cmd.Flags().StringArrayVar(&o.Cluster, "state", nil,
		`manifests of the cluster (Namespaces, Pods, NetworkPolicies; as -f of matrix) instead of the API server; implies --offline (not --cluster: that is the kubeconfig cluster, as in kubectl)`)
	cmd.Flags().StringArrayVar(&o.Delete, "delete", nil, "a NetworkPolicy to delete, namespace/name (repeatable)")
	cmd.Flags().StringVar(&o.Validate, "validate", "client", "client: check the policies locally; server: also a server-side dry-run of each object (live cluster only)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "table, json or yaml")
	cmd.Flags().IntVar(&o.Limit, "limit", 20, "table: list at most this many groups, peers, rules and set elements at each place (0: all)")
	return cmd
}

// Run computes and prints what the change does. Nothing is written to the cluster.
func (o *DryRunOptions) Run(ctx context.Context) error {
	if err := o.check(); err != nil {
		return err
	}
	del, err := o.deletes()
	if err != nil {
		return err
	}
	apply, objs, err := o.loadPolicies()
	if err != nil {
		return err
	}
	src := *o.src
	src.files = o.Cluster
	st, err := src.load(ctx, o.streams.In)
	if err != nil {
		return err
	}
	have := map[ir.PolicyRef]*networkingv1.NetworkPolicy{}
	for _, p := range st.cluster.Policies {
		have[ir.PolicyRef{Namespace: p.Namespace, Name: p.Name}] = p
	}
	for _, ref := range del {
		if have[ref] == nil {
			return fmt.Errorf("dry-run: --delete %s: no NetworkPolicy %s in %s", ref, ref, st.from)
		}
		for _, p := range apply {
			if p.Namespace == ref.Namespace && p.Name == ref.Name {
				return locate(fmt.Errorf("NetworkPolicy %s: given with -f and with --delete", ref), objs)
			}
		}
	}
	if o.Validate == "server" {
		if err := o.serverDryRun(ctx, apply, del, have, objs); err != nil {
			return err
		}
	}
	rep, err := DryRun(st.cluster, Change{Apply: apply, Delete: del})
	if err != nil {
		return st.locate(err)
	}
	var buf bytes.Buffer
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	case "yaml":
		b, err := yaml.Marshal(rep)
		if err != nil {
			return err
		}
		buf.Write(b)
	default:
		writeDryRun(&buf, rep, o.Limit)
	}
	_, err = o.streams.Out.Write(buf.Bytes())
	return err
}

// check validates the flags that need no input.
func (o *DryRunOptions) check() error {
	switch {
	case !slices.Contains([]string{"table", "json", "yaml"}, o.Output):
		return fmt.Errorf("dry-run: -o: want table, json or yaml, got %q", o.Output)
	case o.Validate != "client" && o.Validate != "server":
		return fmt.Errorf("dry-run: --validate: want client or server, got %q", o.Validate)
	case o.Limit < 0:
		return fmt.Errorf("dry-run: --limit: want 0 (all) or more, got %d", o.Limit)
	case len(o.Files) == 0 && len(o.Delete) == 0:
		return fmt.Errorf("dry-run: nothing to try: give the policies to apply with -f FILE|DIR, or --delete NS/NAME")
	case o.Validate == "server" && (o.src.offline || len(o.Cluster) > 0):
		return fmt.Errorf("dry-run: --validate=server sends the objects to the API server: it needs the live cluster, not --offline/--state")
	case o.src.offline && len(o.Cluster) == 0:
		return fmt.Errorf("dry-run: --offline needs --state FILE|DIR with the cluster's manifests (-f holds the policies to apply)")
	case slices.Contains(o.Files, "-") && slices.Contains(o.Cluster, "-"):
		return fmt.Errorf("dry-run: -f - and --state - cannot both read stdin")
	}
	return nil
}

// deletes reads --delete.
func (o *DryRunOptions) deletes() ([]ir.PolicyRef, error) {
	var out []ir.PolicyRef
	for _, s := range o.Delete {
		ns, name, ok := strings.Cut(s, "/")
		if !ok || len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
			return nil, fmt.Errorf("dry-run: --delete %q: want namespace/name of a NetworkPolicy", s)
		}
		ref := ir.PolicyRef{Namespace: ns, Name: name}
		if !slices.Contains(out, ref) {
			out = append(out, ref)
		}
	}
	return out, nil
}

// loadPolicies reads -f: NetworkPolicies only, each checked as the agent checks it (--validate=client and server).
func (o *DryRunOptions) loadPolicies() ([]*networkingv1.NetworkPolicy, *manifest.Objects, error) {
	if len(o.Files) == 0 {
		return nil, nil, nil
	}
	objs, err := manifest.Load(o.Files, o.streams.In)
	if err != nil {
		return nil, nil, err
	}
	var others []string
	for _, ns := range objs.Namespaces {
		others = append(others, "Namespace "+ns.Name)
	}
	for _, p := range objs.Pods {
		others = append(others, "Pod "+p.Namespace+"/"+p.Name)
	}
	if len(others) > 0 {
		return nil, nil, fmt.Errorf("%s: %s: dry-run -f takes NetworkPolicies only (the cluster's manifests go in --state)",
			objs.Source(others[0]), others[0])
	}
	if len(objs.Policies) == 0 {
		return nil, nil, fmt.Errorf("dry-run: no NetworkPolicy found in %s", fileList(o.Files))
	}
	for _, p := range objs.Policies {
		if err := build.Validate(p); err != nil {
			return nil, nil, locate(err, objs)
		}
	}
	return objs.Policies, objs, nil
}

// serverDryRun sends each policy to the API server as a server-side dry-run create (or update, replacing the
// existing one, as apply would) and each deletion as a dry-run delete: the API server validates and admits them,
// and stores nothing.
func (o *DryRunOptions) serverDryRun(ctx context.Context, apply []*networkingv1.NetworkPolicy, del []ir.PolicyRef,
	have map[ir.PolicyRef]*networkingv1.NetworkPolicy, objs *manifest.Objects) error {
	cfg, err := o.src.config.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("dry-run: --validate=server: %w", err)
	}
	cfg.Timeout = liveTimeout
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("dry-run: --validate=server: cannot reach the cluster at %s: %w", cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	for _, p := range apply {
		ref := ir.PolicyRef{Namespace: p.Namespace, Name: p.Name}
		obj := p.DeepCopy()
		// As read from "kubectl get -o yaml" a manifest may carry the server's fields: apply replaces the object.
		obj.ResourceVersion, obj.UID, obj.Generation, obj.ManagedFields = "", "", 0, nil
		obj.CreationTimestamp, obj.DeletionTimestamp = metav1.Time{}, nil
		verb := "create"
		if old := have[ref]; old != nil {
			verb, obj.ResourceVersion = "update", old.ResourceVersion
			err = c.Update(ctx, obj, client.DryRunAll)
		} else {
			err = c.Create(ctx, obj, client.DryRunAll)
		}
		if err != nil {
			return locate(fmt.Errorf("NetworkPolicy %s: refused by the API server at %s (server-side dry-run %s): %w",
				ref, cfg.Host, verb, err), objs)
		}
	}
	for _, ref := range del {
		obj := &networkingv1.NetworkPolicy{}
		obj.Namespace, obj.Name = ref.Namespace, ref.Name
		if err := c.Delete(ctx, obj, client.DryRunAll); err != nil {
			return fmt.Errorf("dry-run: --delete %s: refused by the API server at %s (server-side dry-run delete): %w", ref, cfg.Host, err)
		}
	}
	return nil
}

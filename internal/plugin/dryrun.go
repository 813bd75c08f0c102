package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/spf13/cobra"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// DryRunOptions are the flags of `dry-run`.
type DryRunOptions struct {
	src     *sourceFlags
	streams genericiooptions.IOStreams
	// Files hold the NetworkPolicies and ClusterNetworkPolicies to apply (-f); Cluster the cluster's manifests
	// (offline).
	Files, Cluster []string
	Delete         []string
	Validate       string
	Output         string
	Limit          int
}

const dryRunLong = `dry-run says what would change if NetworkPolicies or ClusterNetworkPolicies were applied (-f: created, or
replacing the policy of the same namespace/name, or name, as kubectl apply would) or deleted (--delete NS/NAME for a
NetworkPolicy, --delete cnp/NAME for a ClusterNetworkPolicy; networkpolicy/NS/NAME when the namespace is called
cnp), without writing anything:

  - connectivity: the probes of "matrix" (every pod to every other pod, on the destination's container ports, in
    each address family both have) whose verdict changes, allow → deny ("lose access") and deny → allow ("gain
    access"), grouped and counted, with the reason: for a lost probe the ClusterNetworkPolicy rule that now
    denies it, or the policies that now isolate the side that denies it; for a gained one the rule that now
    accepts or allows it (or "no longer isolated", "no longer denied").
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

  policies:      [{policy: NS/NAME, action: create|update|unchanged|delete}]  (NetworkPolicies first, then
                 {policy: NAME, kind: ClusterNetworkPolicy, action: ...})
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
                   wasIsolatedBy: [NS/NAME], decidedBy, wasDecidedBy}]
                 decidedBy: the ClusterNetworkPolicy rule deciding after the change (denying a lost probe,
                 accepting a gained one), wasDecidedBy: the one that denied a gained probe before, as
                 'Admin ClusterNetworkPolicy NAME ingress[0] "rule" (priority 10)'; left out when none
      count:     probes in the group
      probes:    [{from, to, fromIP, toIP, port, protocol}]
  nodes:         [{node, chains: {added, removed, rewritten: [{name, comment, rulesAdded, rulesRemoved}]},
                   sets: {added, removed, changed: [{name, elementsAdded, elementsRemoved}]}}]
  unchangedNodes: count of the other nodes`

func newDryRunCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DryRunOptions{src: src, streams: streams}
	cmd := &cobra.Command{
		Use:   "dry-run -f POLICIES [--delete NS/NAME|cnp/NAME ...] [--state FILE|DIR]",
		Short: "What applying or deleting (Cluster)NetworkPolicies would change: connectivity and each node's ruleset",
		Long:  dryRunLong,
		Example: `  kubectl nftpolicy dry-run -f deny-all.yaml                      # against the live cluster
  kubectl nftpolicy dry-run -f new/ --delete shop/old-policy --validate=server
  kubectl nftpolicy dry-run --delete cnp/deny-dev-to-prod          # a ClusterNetworkPolicy
  kubectl nftpolicy dry-run --state cluster/ -f change.yaml -o json  # offline`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run(cmd.Context())
		},
	}
	cmd.Flags().StringArrayVarP(&o.Files, "filename", "f", nil,
		`NetworkPolicies and ClusterNetworkPolicies to apply (files, directories: their *.yaml/*.yml/*.json, "-": stdin; Lists too)`)
	cmd.Flags().StringArrayVar(&o.Cluster, "state", nil,
		`manifests of the cluster (Namespaces, Pods, Nodes, NetworkPolicies, ClusterNetworkPolicies; as -f of matrix) instead of the API server; implies --offline (not --cluster: that is the kubeconfig cluster, as in kubectl)`)
	cmd.Flags().StringArrayVar(&o.Delete, "delete", nil, "a policy to delete: namespace/name of a NetworkPolicy, cnp/name of a ClusterNetworkPolicy (repeatable)")
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
	ch, err := o.deletes()
	if err != nil {
		return err
	}
	objs, err := o.loadPolicies(&ch)
	if err != nil {
		return err
	}
	src := *o.src
	src.files = o.Cluster
	st, err := src.load(ctx, o.streams.In)
	if err != nil {
		return err
	}
	have := newHave(st.cluster)
	if err := checkDeletes(ch, have, st.from, objs); err != nil {
		return err
	}
	if o.Validate == "server" {
		if err := o.serverDryRun(ctx, ch, have, objs); err != nil {
			return err
		}
	}
	rep, err := DryRun(st.cluster, ch)
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
		return fmt.Errorf("dry-run: nothing to try: give the policies to apply with -f FILE|DIR, or --delete NS/NAME|cnp/NAME")
	case o.Validate == "server" && (o.src.offline || len(o.Cluster) > 0):
		return fmt.Errorf("dry-run: --validate=server sends the objects to the API server: it needs the live cluster, not --offline/--state")
	case o.src.offline && len(o.Cluster) == 0:
		return fmt.Errorf("dry-run: --offline needs --state FILE|DIR with the cluster's manifests (-f holds the policies to apply)")
	case slices.Contains(o.Files, "-") && slices.Contains(o.Cluster, "-"):
		return fmt.Errorf("dry-run: -f - and --state - cannot both read stdin")
	}
	return nil
}

// loadPolicies reads -f into ch: NetworkPolicies and ClusterNetworkPolicies only, each checked as the agent
// checks it (--validate=client and server).
func (o *DryRunOptions) loadPolicies(ch *Change) (*manifest.Objects, error) {
	if len(o.Files) == 0 {
		return nil, nil
	}
	objs, err := manifest.Load(o.Files, o.streams.In)
	if err != nil {
		return nil, err
	}
	var others []string
	for _, ns := range objs.Namespaces {
		others = append(others, "Namespace "+ns.Name)
	}
	for _, p := range objs.Pods {
		others = append(others, "Pod "+p.Namespace+"/"+p.Name)
	}
	for _, n := range objs.Nodes {
		others = append(others, "Node "+n.Name)
	}
	if len(others) > 0 {
		return nil, fmt.Errorf("%s: %s: dry-run -f takes NetworkPolicies and ClusterNetworkPolicies only (the cluster's "+
			"manifests go in --state)", objs.Source(others[0]), others[0])
	}
	if len(objs.Policies)+len(objs.ClusterPolicies) == 0 {
		return nil, fmt.Errorf("dry-run: no NetworkPolicy or ClusterNetworkPolicy found in %s", fileList(o.Files))
	}
	for _, p := range objs.Policies {
		if err := build.Validate(p); err != nil {
			return nil, locate(err, objs)
		}
	}
	for _, p := range objs.ClusterPolicies {
		if err := build.ValidateCluster(p); err != nil {
			return nil, locate(err, objs)
		}
	}
	ch.Apply, ch.ApplyCluster = objs.Policies, objs.ClusterPolicies
	return objs, nil
}

// serverDryRun sends each policy to the API server as a server-side dry-run create (or update, replacing the
// existing one, as apply would) and each deletion as a dry-run delete: the API server validates and admits them,
// and stores nothing.
func (o *DryRunOptions) serverDryRun(ctx context.Context, ch Change, have *have, objs *manifest.Objects) error {
	cfg, err := o.src.config.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("dry-run: --validate=server: %w", err)
	}
	cfg.Timeout = liveTimeout
	scheme, err := clusterScheme()
	if err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return fmt.Errorf("dry-run: --validate=server: cannot reach the cluster at %s: %w", cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	type write struct {
		id  string        // "Kind name" as the manifest's Sources key it
		obj client.Object // a copy, ready to send
		old client.Object // the cluster's object of that name, or nil
	}
	var writes []write
	for _, p := range ch.Apply {
		ref := ir.PolicyRef{Namespace: p.Namespace, Name: p.Name}
		var old client.Object
		if o := have.policies[ref]; o != nil {
			old = o
		}
		writes = append(writes, write{"NetworkPolicy " + ref.String(), p.DeepCopy(), old})
	}
	for _, p := range ch.ApplyCluster {
		var old client.Object
		if o := have.cluster[p.Name]; o != nil {
			old = o
		}
		writes = append(writes, write{"ClusterNetworkPolicy " + p.Name, p.DeepCopy(), old})
	}
	for _, w := range writes {
		// As read from "kubectl get -o yaml" a manifest may carry the server's fields: apply replaces the object.
		w.obj.SetResourceVersion("")
		w.obj.SetUID("")
		w.obj.SetGeneration(0)
		w.obj.SetManagedFields(nil)
		w.obj.SetCreationTimestamp(metav1.Time{})
		w.obj.SetDeletionTimestamp(nil)
		verb := "create"
		if w.old != nil {
			verb = "update"
			w.obj.SetResourceVersion(w.old.GetResourceVersion())
			err = c.Update(ctx, w.obj, client.DryRunAll)
		} else {
			err = c.Create(ctx, w.obj, client.DryRunAll)
		}
		if err != nil {
			return locate(fmt.Errorf("%s: refused by the API server at %s (server-side dry-run %s): %w", w.id, cfg.Host, verb, err), objs)
		}
	}
	type deletion struct {
		text string // as --delete names it
		obj  client.Object
	}
	var dels []deletion
	for _, ref := range ch.Delete {
		obj := &networkingv1.NetworkPolicy{}
		obj.Namespace, obj.Name = ref.Namespace, ref.Name
		dels = append(dels, deletion{ref.String(), obj})
	}
	for _, name := range ch.DeleteCluster {
		obj := &cnpv1beta1.ClusterNetworkPolicy{}
		obj.Name = name
		dels = append(dels, deletion{"cnp/" + name, obj})
	}
	for _, d := range dels {
		if err := c.Delete(ctx, d.obj, client.DryRunAll); err != nil {
			return fmt.Errorf("dry-run: --delete %s: refused by the API server at %s (server-side dry-run delete): %w",
				d.text, cfg.Host, err)
		}
	}
	return nil
}

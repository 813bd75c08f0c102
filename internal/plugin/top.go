package plugin

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// TopOptions are the flags of `top`.
type TopOptions struct {
	statusFlags
	streams genericiooptions.IOStreams
}

func newTopCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &TopOptions{statusFlags: statusFlags{src: src}, streams: streams}
	cmd := &cobra.Command{
		Use:   "top [--node NAME]",
		Short: "The busiest policies: most packets dropped, then allowed, summed over nodes",
		Long: `top lists the busiest policies: each node's agent publishes the 10 policies of its node that dropped the most
packets, then would have dropped the most (AUDITED: let through by audit mode), then let through the most, per
direction (status.busiestPolicies of its NodePolicyStatus, from the kernel's rule counters, refreshed at most
every 10 seconds). top adds them up per policy and direction over the nodes that list them; NODES is how many
do. The counts are packets of new connections, since each node's chain was last written; a chain shared by
several policies counts its packets for each of them. A ClusterNetworkPolicy is named by its name and tier,
"deny-db (Admin cnp)": the packets its tier's Accept rules let through and Deny rules dropped.
It needs the live cluster (list, or with --node get, on nodepolicystatuses).`,
		Example: `  kubectl nftpolicy top
  kubectl nftpolicy top --node worker-1 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate("top"); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.addTo(cmd)
	return cmd
}

// topLine is one policy and direction, summed over the nodes that list it.
type topLine struct {
	v1alpha1.PolicyCounts
	Nodes []string `json:"nodes"`
}

// Run lists the busiest policies.
func (o *TopOptions) Run(ctx context.Context) error {
	items, err := o.statuses(ctx, "top")
	if err != nil {
		return err
	}
	return printStatusList(o.streams, o.Output, topLines(items), writeTop,
		fmt.Sprintf("No policy counted packets on %s.", plural(len(items), "node")))
}

// topLines sums the busiest policies of items (sorted by node) per policy and direction, busiest first
// (v1alpha1.BusierFirst), each with the nodes that list it in name order.
func topLines(items []v1alpha1.NodePolicyStatus) []topLine {
	type key struct{ namespace, name, tier, direction string }
	byKey := map[key]*topLine{}
	lines := []*topLine{}
	for _, nps := range items {
		for _, p := range nps.Status.BusiestPolicies {
			k := key{p.Namespace, p.Name, p.Tier, p.Direction}
			l := byKey[k]
			if l == nil {
				l = &topLine{PolicyCounts: v1alpha1.PolicyCounts{ObjectRef: p.ObjectRef, Tier: p.Tier, Direction: p.Direction}}
				byKey[k] = l
				lines = append(lines, l)
			}
			l.AllowedPackets += p.AllowedPackets
			l.DroppedPackets += p.DroppedPackets
			l.AuditedPackets += p.AuditedPackets
			l.Nodes = append(l.Nodes, nps.Name)
		}
	}
	slices.SortFunc(lines, func(a, b *topLine) int { return v1alpha1.BusierFirst(a.PolicyCounts, b.PolicyCounts) })
	out := make([]topLine, len(lines))
	for i, l := range lines {
		out[i] = *l
	}
	return out
}

func writeTop(buf *bytes.Buffer, lines []topLine) {
	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "POLICY\tDIRECTION\tDROPPED\tAUDITED\tALLOWED\tNODES")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", policyName(l.PolicyCounts), l.Direction, l.DroppedPackets,
			l.AuditedPackets, l.AllowedPackets, len(l.Nodes))
	}
	tw.Flush()
}

// policyName is how top names a policy: namespace/name for a NetworkPolicy; a ClusterNetworkPolicy, which has no
// namespace, by its name and a hint of its tier and kind: "deny-db (Admin cnp)".
func policyName(p v1alpha1.PolicyCounts) string {
	if p.Namespace != "" {
		return p.Namespace + "/" + p.Name
	}
	return fmt.Sprintf("%s (%s cnp)", p.Name, cmp.Or(p.Tier, "cluster"))
}

package plugin

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// DropsOptions are the flags of `drops`.
type DropsOptions struct {
	statusFlags
	streams genericiooptions.IOStreams
}

func newDropsCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DropsOptions{statusFlags: statusFlags{src: src}, streams: streams}
	cmd := &cobra.Command{
		Use:   "drops [--node NAME]",
		Short: "The packets the nodes' rulesets dropped lately, and the policies that isolated them",
		Long: `drops lists the last packets each node's ruleset dropped, as the node's agent read them from the kernel's
log and published them in its NodePolicyStatus (status.recentDrops: the last 20 per node, refreshed at most every
10 seconds). The kernel logs at most 10 drops a second per chain, so a flood shows as samples, not every packet.
In audit mode the packets were let through: the reason says so. A packet a ClusterNetworkPolicy's Deny rule
dropped says so too ("denied by Admin ClusterNetworkPolicy NAME"); POLICIES are then that tier's policies of
the pod with Deny rules, one of which denied it.
It needs the live cluster (list, or with --node get, on nodepolicystatuses).`,
		Example: `  kubectl nftpolicy drops
  kubectl nftpolicy drops --node worker-1 -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.validate("drops"); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	o.addTo(cmd)
	return cmd
}

// dropLine is one drop as drops prints it: the node's record and the node.
type dropLine struct {
	Node string `json:"node"`
	v1alpha1.DropRecord
	Reason string `json:"reason"`
}

// Run lists the drops.
func (o *DropsOptions) Run(ctx context.Context) error {
	items, err := o.statuses(ctx, "drops")
	if err != nil {
		return err
	}
	return printStatusList(o.streams, o.Output, dropLines(items), writeDrops,
		fmt.Sprintf("No drops recorded on %s.", plural(len(items), "node")))
}

// dropLines are the drops of all items (sorted by node), newest first; drops of the same second keep the order
// their node wrote them in (newest first) and come by node name.
func dropLines(items []v1alpha1.NodePolicyStatus) []dropLine {
	lines := []dropLine{}
	for _, nps := range items {
		for _, d := range nps.Status.RecentDrops {
			lines = append(lines, dropLine{Node: nps.Name, DropRecord: d, Reason: dropReason(d)})
		}
	}
	slices.SortStableFunc(lines, func(a, b dropLine) int {
		return cmp.Or(b.Time.Compare(a.Time.Time), cmp.Compare(a.Node, b.Node))
	})
	return lines
}

// dropReason says why the packet was dropped: for NetworkPolicy isolation, without repeating the policies, which
// end is isolated and what no rule of its policies allows; for a Deny rule of a ClusterNetworkPolicy tier, the
// tier and the policy (or the policies one of which denied it) and whose rule it was; in audit mode, that it was
// let through all the same.
func dropReason(d v1alpha1.DropRecord) string {
	var reason string
	switch {
	case d.Tier != "":
		reason = "denied by " + tierPolicies(d.Tier, d.Policies) + ": a Deny rule of "
		if d.Direction == "egress" {
			reason += fmt.Sprintf("%s's egress matches %s", d.Src, d.Dst)
		} else {
			reason += fmt.Sprintf("%s's ingress matches %s", d.Dst, d.Src)
		}
	case d.Direction == "egress":
		reason = fmt.Sprintf("%s is isolated for egress: no rule of its policies lets it reach %s", d.Src, d.Dst)
	default:
		reason = fmt.Sprintf("%s is isolated for ingress: no rule of its policies admits %s", d.Dst, d.Src)
	}
	if d.Audit {
		reason += " (audit mode: let through)"
	}
	return reason
}

// tierPolicies names the ClusterNetworkPolicies of a tier drop: "Admin ClusterNetworkPolicy X", or "one of the
// Admin ClusterNetworkPolicies X, Y" (the pod's policies of the tier with Deny rules, one of which denied).
func tierPolicies(tier string, names []string) string {
	switch len(names) {
	case 0:
		return "an " + tier + " ClusterNetworkPolicy"
	case 1:
		return tier + " ClusterNetworkPolicy " + names[0]
	}
	return "one of the " + tier + " ClusterNetworkPolicies " + strings.Join(names, ", ")
}

func protoPort(d v1alpha1.DropRecord) string {
	if d.Port == 0 {
		return d.Protocol
	}
	return fmt.Sprintf("%s/%d", d.Protocol, d.Port)
}

func writeDrops(buf *bytes.Buffer, lines []dropLine) {
	tw := tabwriter.NewWriter(buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tNODE\tDIRECTION\tCONNECTION\tPORT\tPOLICIES\tREASON")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s → %s\t%s\t%s\t%s\n", l.Time.UTC().Format(time.RFC3339), l.Node, l.Direction,
			l.Src, l.Dst, protoPort(l.DropRecord), cmp.Or(strings.Join(l.Policies, ","), "-"), l.Reason)
	}
	tw.Flush()
}

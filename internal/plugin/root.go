package plugin

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// NewCommand returns `kubectl nftpolicy` and its subcommands.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	src := newSourceFlags()
	root := &cobra.Command{
		Use:   "kubectl-nftpolicy",
		Short: "NetworkPolicy as nftpolicy enforces it: rulesets, verdicts, the connectivity matrix and what is dropped",
		Long: `kubectl nftpolicy answers what NetworkPolicy allows, from the IR and compiler the nftpolicy agent uses, so
what it says is what the agent installs. It reads the cluster (get/list pods, namespaces, networkpolicies;
it never writes) or, with --offline -f FILE|DIR, manifests as "kubectl get -o yaml" prints them.
drops and top say what the agents report in their nodes' NodePolicyStatus (get/list nodepolicystatuses):
the packets dropped lately and the busiest policies; they need the live cluster.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return fmt.Errorf("%s: %w (see %s --help)", c.CommandPath(), err, c.CommandPath())
	})
	src.addTo(root)
	root.AddCommand(
		newRenderCommand(src, streams),
		newMatrixCommand(src, streams),
		newExplainCommand(src, streams),
		newDiffCommand(src, streams),
		newDryRunCommand(src, streams),
		newDropsCommand(src, streams),
		newTopCommand(src, streams),
	)
	return root
}

// exactArgs rejects stray arguments with a message naming them.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s: unexpected argument %q (files go after -f)", cmd.CommandPath(), args[0])
	}
	return nil
}

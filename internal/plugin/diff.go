package plugin

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/nft/listing"
)

// DiffOptions are the flags of `diff`.
type DiffOptions struct {
	src     *sourceFlags
	streams genericiooptions.IOStreams
	Node    string
	Ruleset string
}

const diffLong = `diff compares the table a node holds with the one its agent should install, to spot drift: a rule
someone added, an element or a chain missing, a table left behind by an agent that stopped syncing.

The node's side is a file: on the node, "nft list table inet nftpolicy > node.nft" (or "nft list ruleset";
other tables are skipped), read as text: diff needs no root and runs anywhere, a laptop too. The desired side
is the ruleset "render --node" prints, from the cluster or from --offline -f manifests.

Lines starting with - are only on the node, + only desired. A construct nftpolicy never writes (another
program's rule, a counter, a set with a timeout) is always a difference.

Exit status, as diff(1) and kubectl diff: 0 no drift, 1 drift (the report is on stdout), 2 the comparison
failed (bad flags, an unreadable file or cluster; one line on stderr).`

func newDiffCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &DiffOptions{src: src, streams: streams}
	cmd := &cobra.Command{
		Use:   "diff --node NAME --ruleset FILE",
		Short: "Compare a node's table (nft list table inet nftpolicy) with the ruleset it should have: drift",
		Long:  diffLong,
		Example: `  ssh worker-1 nft list table inet nftpolicy > worker-1.nft
  kubectl nftpolicy diff --node worker-1 --ruleset worker-1.nft
  ssh worker-1 nft list table inet nftpolicy | kubectl nftpolicy diff --node worker-1 --ruleset - -f cluster.yaml`,
		Args:        noArgs,
		Annotations: map[string]string{errorExitAnnotation: "2"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	src.addFiles(cmd)
	cmd.Flags().StringVar(&o.Node, "node", "", "the node the ruleset was taken on (required)")
	cmd.Flags().StringVar(&o.Ruleset, "ruleset", "", `the node's table: a file with the output of "nft list table inet nftpolicy", or "-" for stdin (required)`)
	return cmd
}

// Validate checks the options.
func (o *DiffOptions) Validate() error {
	if o.Node == "" || o.Ruleset == "" {
		return fmt.Errorf("diff: --node and --ruleset are required")
	}
	if msgs := validation.IsDNS1123Subdomain(o.Node); len(msgs) > 0 {
		return fmt.Errorf("diff: --node: invalid node name %q: %s", o.Node, strings.Join(msgs, "; "))
	}
	if o.Ruleset == "-" {
		for _, f := range o.src.files {
			if f == "-" {
				return fmt.Errorf("diff: --ruleset - and -f - both read stdin; give one of them as a file")
			}
		}
	}
	return nil
}

// Run compares. It returns errDrift when the tables differ, after writing the report.
func (o *DiffOptions) Run(ctx context.Context) error {
	res, err := o.readRuleset()
	if err != nil {
		return err
	}
	st, err := o.src.load(ctx, o.streams.In)
	if err != nil {
		return err
	}
	n, err := build.Node(st.cluster, o.Node)
	if err != nil {
		return st.locate(err)
	}
	var buf bytes.Buffer
	drift := writeDrift(&buf, driftInput{node: o.Node, file: fileList([]string{o.Ruleset}), got: res,
		want: compiler.Compile(n)})
	if !hasPodOn(st.cluster.Pods, o.Node) {
		fmt.Fprintf(o.streams.ErrOut, "warning: no pod has spec.nodeName=%s; the desired ruleset enforces nothing on that node\n", o.Node)
	}
	if _, err := o.streams.Out.Write(buf.Bytes()); err != nil {
		return err
	}
	if drift {
		return errDrift
	}
	return nil
}

// readRuleset parses the --ruleset file.
func (o *DiffOptions) readRuleset() (*listing.Result, error) {
	var r io.Reader = o.streams.In
	if o.Ruleset != "-" {
		f, err := os.Open(o.Ruleset)
		if err != nil {
			return nil, fmt.Errorf("diff: --ruleset: %w", err)
		}
		defer f.Close()
		r = f
	}
	res, err := listing.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("diff: --ruleset %s: %w", fileList([]string{o.Ruleset}), err)
	}
	return res, nil
}

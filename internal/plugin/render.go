package plugin

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// RenderOptions are the flags of `render`.
type RenderOptions struct {
	src     *sourceFlags
	streams genericiooptions.IOStreams
	Node    string
}

func newRenderCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &RenderOptions{src: src, streams: streams}
	cmd := &cobra.Command{
		Use:   "render [--node NAME]",
		Short: "Print the nft ruleset a node gets (an nft -f script of table inet nftpolicy)",
		Example: `  kubectl nftpolicy render --node worker-1                 # from the cluster
  kubectl nftpolicy render -f examples/demo.yaml --node node-a  # from manifests`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	src.addFiles(cmd)
	cmd.Flags().StringVar(&o.Node, "node", "", "node whose ruleset to print: pods with spec.nodeName equal to it are local (default: every pod is local)")
	return cmd
}

// Validate checks the options.
func (o *RenderOptions) Validate() error {
	if o.Node != "" {
		if msgs := validation.IsDNS1123Subdomain(o.Node); len(msgs) > 0 {
			return fmt.Errorf("render: --node: invalid node name %q: %s", o.Node, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// Run renders. Output is written only once everything succeeded: never a partial ruleset.
func (o *RenderOptions) Run(ctx context.Context) error {
	st, err := o.src.load(ctx, o.streams.In)
	if err != nil {
		return err
	}
	n, err := build.Node(st.cluster, o.Node)
	if err != nil {
		return st.locate(err)
	}
	var buf bytes.Buffer
	compiler.Compile(n).WriteText(&buf)
	if o.Node != "" && !hasPodOn(st.cluster.Pods, o.Node) {
		// Valid, but most likely a misspelt node: say so without failing.
		fmt.Fprintf(o.streams.ErrOut, "warning: no pod has spec.nodeName=%s; the ruleset enforces nothing on that node\n", o.Node)
	}
	_, err = o.streams.Out.Write(buf.Bytes())
	return err
}

func hasPodOn(pods []*corev1.Pod, node string) bool {
	for _, p := range pods {
		if p.Spec.NodeName == node {
			return true
		}
	}
	return false
}

// fileList names the -f arguments for a message.
func fileList(files []string) string {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f
		if f == "-" {
			names[i] = "<stdin>"
		}
	}
	return strings.Join(names, ", ")
}

// locate prefixes an error about one object ("Kind ns/name: field: problem", as package build words them)
// with the file and document the object came from.
func locate(err error, objs *manifest.Objects) error {
	if objs == nil {
		return err
	}
	id, _, _ := strings.Cut(err.Error(), ": ")
	if where := objs.Source(id); where != "" {
		return fmt.Errorf("%s: %w", where, err)
	}
	return err
}

package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/nftpolicy/nftpolicy/api/v1alpha1"
)

// statusFlags are the flags of the commands that read what the agents report in their nodes' NodePolicyStatus
// (drops, top): those exist only in the live cluster, so these commands have no -f and refuse --offline.
type statusFlags struct {
	src    *sourceFlags
	Node   string
	Output string
	files  []string // -f, hidden: only so that using it gets a message saying why not
}

func (f *statusFlags) addTo(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.Node, "node", "", "only this node (default: every node with a NodePolicyStatus)")
	cmd.Flags().StringVarP(&f.Output, "output", "o", "text", "text or json")
	cmd.Flags().StringArrayVarP(&f.files, "filename", "f", nil, "")
	_ = cmd.Flags().MarkHidden("filename") // cannot fail: the flag was just added
}

// validate checks the flags of command name.
func (f *statusFlags) validate(name string) error {
	if f.src.offline || len(f.files) > 0 {
		return fmt.Errorf("%s: reads the NodePolicyStatus objects the agents write: it needs the live cluster, not --offline or -f", name)
	}
	if !slices.Contains([]string{"text", "json"}, f.Output) {
		return fmt.Errorf("%s: -o: want text or json, got %q", name, f.Output)
	}
	if f.Node != "" {
		if msgs := validation.IsDNS1123Subdomain(f.Node); len(msgs) > 0 {
			return fmt.Errorf("%s: --node: invalid node name %q: %s", name, f.Node, strings.Join(msgs, "; "))
		}
	}
	return nil
}

// statuses reads the NodePolicyStatus of --node (get), or of every node (list), sorted by node name.
func (f *statusFlags) statuses(ctx context.Context, name string) ([]v1alpha1.NodePolicyStatus, error) {
	cfg, err := f.src.config.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: no cluster to read: %w", name, err)
	}
	cfg.Timeout = liveTimeout
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("%s: cannot reach the cluster at %s: %w", name, cfg.Host, err)
	}
	ctx, cancel := context.WithTimeout(ctx, liveTimeout)
	defer cancel()
	if f.Node != "" {
		var nps v1alpha1.NodePolicyStatus
		err := c.Get(ctx, client.ObjectKey{Name: f.Node}, &nps)
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%s: --node %s: the cluster at %s has no NodePolicyStatus %s (is the nftpolicy agent running on that node?)",
				name, f.Node, cfg.Host, f.Node)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read NodePolicyStatus %s from the cluster at %s: %w", name, f.Node, cfg.Host, notInstalled(err))
		}
		return []v1alpha1.NodePolicyStatus{nps}, nil
	}
	var list v1alpha1.NodePolicyStatusList
	if err := c.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("%s: cannot read nodepolicystatuses from the cluster at %s: %w", name, cfg.Host, notInstalled(err))
	}
	slices.SortFunc(list.Items, func(a, b v1alpha1.NodePolicyStatus) int { return strings.Compare(a.Name, b.Name) })
	return list.Items, nil
}

// notInstalled says what a missing kind means here: the cluster has no nftpolicy CRD.
func notInstalled(err error) error {
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("%w (is nftpolicy installed in this cluster?)", err)
	}
	return err
}

// printStatusList writes lines as JSON (-o json: always, [] when empty) or as text with write; an empty text
// listing says empty on stderr, as kubectl get says "No resources found", so that stdout stays empty.
func printStatusList[T any](streams genericiooptions.IOStreams, output string, lines []T,
	write func(*bytes.Buffer, []T), empty string) error {
	var buf bytes.Buffer
	switch output {
	case "json":
		b, err := json.MarshalIndent(lines, "", "  ")
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	default:
		if len(lines) == 0 {
			fmt.Fprintln(streams.ErrOut, empty)
			return nil
		}
		write(&buf, lines)
	}
	_, err := streams.Out.Write(buf.Bytes())
	return err
}

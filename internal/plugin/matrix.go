package plugin

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/internal/lab/view"
)

// MatrixOptions are the flags of `matrix`.
type MatrixOptions struct {
	src        *sourceFlags
	streams    genericiooptions.IOStreams
	Namespaces []string
	Ports      string
	Protocols  []string
	Output     string

	ports []port // from Ports × Protocols; nil: each destination's container ports
}

func newMatrixCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &MatrixOptions{src: src, streams: streams}
	cmd := &cobra.Command{
		Use:   "matrix [-n NS ...] [--ports 80,81] [--protocols TCP,UDP]",
		Short: "The connectivity truth table: every pod to every pod, on each port, allow or deny",
		Long: `matrix computes, from the IR the agent builds, whether each pod may open a connection to each other pod: on
the destination's container ports, or on --ports × --protocols; one row per address family for dual-stack pods.
ClusterNetworkPolicy tiers count (Admin, then NetworkPolicy, then Baseline): the table lists the
ClusterNetworkPolicy rules that decided probes, with how many each denied or accepted, and -o json and yaml give
such a probe its rule as decidedBy.`,
		Example: `  kubectl nftpolicy matrix -n shop -n tools
  kubectl nftpolicy matrix --ports 80,443 --protocols TCP -o csv
  kubectl nftpolicy matrix --offline -f cluster/ -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.Validate(); err != nil {
				return err
			}
			return o.Run(cmd.Context())
		},
	}
	src.addFiles(cmd)
	// -n is the kubeconfig flags' --namespace; matrix reads it as the namespaces to show (repeatable).
	cmd.Flags().StringVar(&o.Ports, "ports", "", "probe these ports on every pod (comma-separated) instead of each pod's container ports")
	cmd.Flags().StringSliceVar(&o.Protocols, "protocols", nil, "protocols of --ports: TCP, UDP, SCTP (default TCP)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "table, json (one object per line), yaml or csv")
	cmd.Flags().StringArrayVar(&o.Namespaces, "ns", nil, "show pods of this namespace only (repeatable; -n/--namespace takes one)")
	return cmd
}

// Validate checks the flags.
func (o *MatrixOptions) Validate() error {
	if !slices.Contains([]string{"table", "json", "yaml", "csv"}, o.Output) {
		return fmt.Errorf("matrix: -o: want table, json, yaml or csv, got %q", o.Output)
	}
	if o.Ports == "" {
		if len(o.Protocols) > 0 {
			return fmt.Errorf("matrix: --protocols needs --ports")
		}
		return nil
	}
	nums, err := parsePortList(o.Ports)
	if err != nil {
		return fmt.Errorf("matrix: %w", err)
	}
	protos := o.Protocols
	if len(protos) == 0 {
		protos = []string{"TCP"}
	}
	for _, ps := range protos {
		p, err := parseProto(ps)
		if err != nil {
			return fmt.Errorf("matrix: --protocols: %w", err)
		}
		for _, n := range nums {
			if pt := (port{proto: p, num: n}); !slices.Contains(o.ports, pt) {
				o.ports = append(o.ports, pt)
			}
		}
	}
	sortPorts(o.ports)
	return nil
}

// cell is one probe of the matrix.
type cell struct {
	From     string `json:"from"`
	To       string `json:"to"`
	FromIP   string `json:"fromIP"`
	ToIP     string `json:"toIP"`
	Port     uint16 `json:"port"`
	Protocol string `json:"protocol"`
	Verdict  string `json:"verdict"`
	// DecidedBy is the ClusterNetworkPolicy rule that decided the verdict, left out when NetworkPolicies or the
	// default decided (see view.DecidedBy).
	DecidedBy string `json:"decidedBy,omitempty"`
}

// Run computes and prints the matrix.
func (o *MatrixOptions) Run(ctx context.Context) error {
	st, err := o.src.load(ctx, o.streams.In)
	if err != nil {
		return err
	}
	n, err := build.Node(st.cluster, "")
	if err != nil {
		return st.locate(err)
	}
	pods, err := st.pods()
	if err != nil {
		return err
	}
	shown, err := o.filter(pods)
	if err != nil {
		return err
	}
	cells := o.cells(eval.New(n), shown)
	var buf bytes.Buffer
	if err := o.print(&buf, cells); err != nil {
		return err
	}
	_, err = o.streams.Out.Write(buf.Bytes())
	return err
}

// filter keeps the pods of the namespaces asked for (--ns, or -n).
func (o *MatrixOptions) filter(pods []*pod) ([]*pod, error) {
	nss := o.Namespaces
	if ns := *o.src.config.Namespace; ns != "" && len(nss) == 0 {
		nss = []string{ns}
	}
	if len(nss) == 0 {
		return pods, nil
	}
	var out []*pod
	for _, p := range pods {
		if slices.Contains(nss, p.obj.Namespace) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("matrix: no pod with an address in namespace(s) %v", nss)
	}
	return out, nil
}

func (o *MatrixOptions) cells(ev *eval.Evaluator, pods []*pod) []cell {
	var out []cell
	eachProbe(pods, pods, o.ports, func(pr probe) {
		v := ev.Check(pr.fromIP, pr.toIP, pr.port.proto, pr.port.num)
		out = append(out, cell{From: pr.from.key, To: pr.to.key, FromIP: pr.fromIP.String(), ToIP: pr.toIP.String(),
			Port: pr.port.num, Protocol: protoName(pr.port.proto), Verdict: verdictWord(v.Allowed), DecidedBy: view.DecidedBy(v)})
	})
	return out
}

// probe is one connection of the matrix: from a pod to another, on one port, in one address family.
type probe struct {
	from, to     *pod
	fromIP, toIP netip.Addr
	port         port
}

// eachProbe calls fn for every probe of the matrix from a pod of froms to a different pod of tos, in that order:
// on ports, or each destination's container ports when ports is nil, for each address family both pods have.
// matrix and dry-run (which evaluates only the probes a change can touch) both enumerate probes with it.
func eachProbe(froms, tos []*pod, ports []port, fn func(probe)) {
	for _, from := range froms {
		for _, to := range tos {
			if from == to {
				continue
			}
			pts := ports
			if pts == nil {
				pts = to.ports
			}
			for _, pt := range pts {
				for _, fip := range from.ips {
					for _, tip := range to.ips {
						if fip.Is4() == tip.Is4() {
							fn(probe{from: from, to: to, fromIP: fip, toIP: tip, port: pt})
						}
					}
				}
			}
		}
	}
}

func verdictWord(allow bool) string {
	if allow {
		return "allow"
	}
	return "deny"
}

func (o *MatrixOptions) print(buf *bytes.Buffer, cells []cell) error {
	switch o.Output {
	case "json":
		enc := json.NewEncoder(buf)
		for _, c := range cells {
			if err := enc.Encode(c); err != nil {
				return err
			}
		}
	case "yaml":
		b, err := yaml.Marshal(cells)
		if err != nil {
			return err
		}
		buf.Write(b)
	case "csv":
		w := csv.NewWriter(buf)
		w.Write([]string{"from", "to", "fromIP", "toIP", "port", "protocol", "verdict"})
		for _, c := range cells {
			w.Write([]string{c.From, c.To, c.FromIP, c.ToIP, strconv.Itoa(int(c.Port)), c.Protocol, c.Verdict})
		}
		w.Flush()
		return w.Error()
	default:
		if len(cells) == 0 {
			buf.WriteString("no pairs to show: pods need container ports (or --ports) and addresses of one family\n")
			return nil
		}
		rs := make([]view.Result, len(cells))
		allow := 0
		for i, c := range cells {
			ok := c.Verdict == "allow"
			if ok {
				allow++
			}
			rs[i] = view.Result{From: c.From, To: c.To, Port: c.Port, Protocol: c.Protocol, Observed: ok, Expected: ok,
				FromIP: mustAddr(c.FromIP), ToIP: mustAddr(c.ToIP), DecidedBy: c.DecidedBy}
		}
		if err := view.Matrix(buf, rs, view.Options{}); err != nil {
			return err
		}
		fmt.Fprintf(buf, "%d probes · %d allow · %d deny\n", len(cells), allow, len(cells)-allow)
		buf.WriteString(view.ClusterRules(rs, view.Options{}))
	}
	return nil
}

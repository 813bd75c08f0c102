package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// ExplainOptions are the flags of `explain`.
type ExplainOptions struct {
	src      *sourceFlags
	streams  genericiooptions.IOStreams
	From, To string
	Port     string
	Family   int
	Output   string
}

func newExplainCommand(src *sourceFlags, streams genericiooptions.IOStreams) *cobra.Command {
	o := &ExplainOptions{src: src, streams: streams}
	cmd := &cobra.Command{
		Use:   "explain --from NS/POD|IP --to NS/POD|IP --port PORT[/PROTO]",
		Short: "Why a connection is allowed or denied: for each side, the tier and the rule that decided it",
		Example: `  kubectl nftpolicy explain --from shop/frontend --to shop/web --port 8080
  kubectl nftpolicy explain --from 192.0.2.10 --to shop/frontend --port 80/TCP -o json
  kubectl nftpolicy explain --from shop/web --to shop/db --port postgres   # a named port of the destination`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.Run(cmd.Context())
		},
	}
	src.addFiles(cmd)
	cmd.Flags().StringVar(&o.From, "from", "", "source: a pod (namespace/name) or an IP address")
	cmd.Flags().StringVar(&o.To, "to", "", "destination: a pod (namespace/name) or an IP address")
	cmd.Flags().StringVar(&o.Port, "port", "", "destination port: a number or a container port name of the destination, with /TCP, /UDP or /SCTP (default TCP)")
	cmd.Flags().IntVar(&o.Family, "family", 0, "address family when both ends are dual-stack: 4 or 6 (default 4)")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "table, json or yaml")
	return cmd
}

// explanation is what explain prints.
type explanation struct {
	Verdict  string `json:"verdict"`
	From     string `json:"from"`
	To       string `json:"to"`
	FromIP   string `json:"fromIP"`
	ToIP     string `json:"toIP"`
	Port     uint16 `json:"port"`
	PortName string `json:"portName,omitempty"`
	Protocol string `json:"protocol"`
	SamePod  bool   `json:"samePod,omitempty"`
	Egress   side   `json:"egress"`
	Ingress  side   `json:"ingress"`
}

// side is one direction of the connection. Isolated, Policies and AllowedBy are about NetworkPolicy; Tier says
// which tier decided (docs/semantics.md, "Tiers: ClusterNetworkPolicy").
type side struct {
	Pod       string   `json:"pod,omitempty"`
	Isolated  bool     `json:"isolated"`
	Policies  []string `json:"policies"`
	AllowedBy []string `json:"allowedBy"`
	Allowed   bool     `json:"allowed"`
	// Audited: NetworkPolicy denies, but the namespace is in audit mode: logged, let through.
	Audited bool `json:"audited,omitempty"`
	// Tier is Admin, NetworkPolicy, Baseline or Default (nothing decided: allowed).
	Tier string `json:"tier"`
	// DecidedBy is the ClusterNetworkPolicy rule that accepted or denied (Tier Admin or Baseline).
	DecidedBy *clusterRule `json:"decidedBy,omitempty"`
	// Passed are the Pass rules that matched on the way, Admin then Baseline.
	Passed []clusterRule `json:"passed,omitempty"`
	// Unenforced are the rules looked at with fields nftpolicy does not enforce.
	Unenforced []clusterRule `json:"unenforced,omitempty"`
	// undecided: ClusterNetworkPolicy rules apply and none decided (eval.Side.RulesUndecided), for the text.
	undecided bool
}

// clusterRule is one ClusterNetworkPolicy rule.
type clusterRule struct {
	Tier     string `json:"tier"`
	Policy   string `json:"policy"`
	Priority int32  `json:"priority"`
	Rule     string `json:"rule"` // spec.ingress[N] or spec.egress[N]
	Name     string `json:"name,omitempty"`
	Action   string `json:"action"`
	// Unenforced are the rule's field paths nftpolicy does not enforce (matching nothing in an Accept rule,
	// every address in a Deny or Pass rule).
	Unenforced []string `json:"unenforced,omitempty"`
	ref        string   // for the text output: eval.ClusterRuleRef.String
}

// Run explains.
func (o *ExplainOptions) Run(ctx context.Context) error {
	if o.From == "" || o.To == "" || o.Port == "" {
		return fmt.Errorf("explain: --from, --to and --port are required")
	}
	if !slices.Contains([]string{"table", "json", "yaml"}, o.Output) {
		return fmt.Errorf("explain: -o: want table, json or yaml, got %q", o.Output)
	}
	if o.Family != 0 && o.Family != 4 && o.Family != 6 {
		return fmt.Errorf("explain: --family: want 4 or 6, got %d", o.Family)
	}
	st, err := o.src.load(ctx, o.streams.In)
	if err != nil {
		return err
	}
	pods, err := st.pods()
	if err != nil {
		return err
	}
	from, err := endpointOf("--from", o.From, pods, st)
	if err != nil {
		return err
	}
	to, err := endpointOf("--to", o.To, pods, st)
	if err != nil {
		return err
	}
	pt, err := o.port(to)
	if err != nil {
		return err
	}
	fip, tip, err := o.addrs(from, to)
	if err != nil {
		return err
	}
	n, err := build.Node(st.cluster, "")
	if err != nil {
		return st.locate(err)
	}
	v := eval.New(n).Check(fip, tip, pt.proto, pt.num)
	e := explanationOf(v, from, to, fip, tip, pt)
	var buf bytes.Buffer
	switch o.Output {
	case "json":
		b, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return err
		}
		buf.Write(append(b, '\n'))
	case "yaml":
		b, err := yaml.Marshal(e)
		if err != nil {
			return err
		}
		buf.Write(b)
	default:
		writeExplanation(&buf, e)
	}
	_, err = o.streams.Out.Write(buf.Bytes())
	return err
}

// endpointOf resolves a pod ("ns/name") or an IP.
func endpointOf(flag, s string, pods []*pod, st *state) (*pod, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		for _, p := range pods { // an address of a pod is that pod
			if slices.Contains(p.ips, a) {
				return p, nil
			}
		}
		return &pod{key: a.String(), ips: []netip.Addr{a}}, nil
	}
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("explain: %s %q: want namespace/name of a pod, or an IP address", flag, s)
	}
	for _, p := range pods {
		if p.key == s {
			return p, nil
		}
	}
	for _, p := range st.cluster.Pods {
		if p.Namespace == ns && p.Name == name {
			return nil, fmt.Errorf("explain: %s: pod %s has no address (not running, finished or hostNetwork): "+
				"NetworkPolicy does not apply to it", flag, s)
		}
	}
	return nil, fmt.Errorf("explain: %s: pod %s not found in %s", flag, s, st.from)
}

// port reads --port: a number or a container port name of the destination, with an optional /PROTO.
func (o *ExplainOptions) port(to *pod) (port, error) {
	spec, protoS, hasProto := strings.Cut(o.Port, "/")
	proto, err := parseProto(protoS)
	if err != nil {
		return port{}, fmt.Errorf("explain: --port %q: %w", o.Port, err)
	}
	if n, err := strconv.ParseUint(spec, 10, 16); err == nil && n > 0 {
		pt := port{proto: proto, num: uint16(n)}
		for _, cp := range to.ports {
			if cp.proto == proto && cp.num == pt.num {
				pt.name = cp.name
			}
		}
		return pt, nil
	}
	for _, cp := range to.ports {
		if cp.name == spec && spec != "" && (!hasProto || cp.proto == proto) {
			return cp, nil
		}
	}
	return port{}, fmt.Errorf("explain: --port %q: not a port number, nor a container port name of %s", o.Port, to.key)
}

// addrs picks the addresses of one family both ends have.
func (o *ExplainOptions) addrs(from, to *pod) (netip.Addr, netip.Addr, error) {
	for _, fam := range []int{4, 6} {
		if o.Family != 0 && o.Family != fam {
			continue
		}
		f, okF := addrOf(from.ips, fam)
		t, okT := addrOf(to.ips, fam)
		if okF && okT {
			return f, t, nil
		}
	}
	return netip.Addr{}, netip.Addr{}, fmt.Errorf("explain: %s and %s share no address family%s", from.key, to.key,
		map[bool]string{true: fmt.Sprintf(" IPv%d", o.Family), false: ""}[o.Family != 0])
}

func addrOf(ips []netip.Addr, fam int) (netip.Addr, bool) {
	for _, a := range ips {
		if a.Is4() == (fam == 4) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// explanationOf describes v, the verdict for from (at fip) -> to (at tip) on pt.
func explanationOf(v eval.Verdict, from, to *pod, fip, tip netip.Addr, pt port) explanation {
	return explanation{Verdict: verdictWord(v.Allowed), From: from.key, To: to.key, FromIP: fip.String(),
		ToIP: tip.String(), Port: pt.num, PortName: pt.name, Protocol: protoName(pt.proto), SamePod: v.SamePod,
		Egress: sideOf(v.Egress, from, "egress"), Ingress: sideOf(v.Ingress, to, "ingress")}
}

// sideOf describes one side of the connection; ep is that end (a pod, or an address with no object).
func sideOf(s eval.Side, ep *pod, dir string) side {
	out := side{Isolated: s.Isolated, Allowed: s.Allowed, Policies: []string{}, AllowedBy: []string{},
		Audited: s.WouldDrop, Tier: s.Tier.String(), undecided: s.RulesUndecided()}
	switch {
	case s.Pod != (ir.PodRef{}):
		out.Pod = s.Pod.String()
	case ep.obj != nil: // a pod no policy selects in either direction
		out.Pod = ep.key
	}
	for _, p := range s.Policies {
		out.Policies = append(out.Policies, p.String())
	}
	for _, r := range s.AllowedBy {
		out.AllowedBy = append(out.AllowedBy, fmt.Sprintf("%s spec.%s[%d]", r.Policy, dir, r.Index))
	}
	if s.DecidedBy != nil {
		r := clusterRuleOf(*s.DecidedBy)
		out.DecidedBy = &r
	}
	for _, r := range s.Passed {
		out.Passed = append(out.Passed, clusterRuleOf(r))
	}
	for _, r := range s.Unenforced {
		out.Unenforced = append(out.Unenforced, clusterRuleOf(r))
	}
	return out
}

func clusterRuleOf(r eval.ClusterRuleRef) clusterRule {
	return clusterRule{Tier: r.Tier.String(), Policy: r.Policy, Priority: r.Priority,
		Rule: fmt.Sprintf("spec.%s[%d]", r.Direction, r.Index), Name: r.Name, Action: r.Action.String(),
		Unenforced: r.Unenforced, ref: r.String()}
}

// writeExplanation prints e as text: the verdict, then one line per side saying what decided it.
func writeExplanation(buf *bytes.Buffer, e explanation) {
	port := fmt.Sprintf("%s/%d", e.Protocol, e.Port)
	if e.PortName != "" {
		port += " (" + e.PortName + ")"
	}
	fmt.Fprintf(buf, "%s: %s -> %s %s  (%s -> %s)\n", strings.ToUpper(e.Verdict), e.From, e.To, port, e.FromIP, e.ToIP)
	if e.SamePod {
		buf.WriteString("  a pod to itself: allowed before any policy\n")
	}
	for _, d := range []struct {
		dir, who string
		s        side
	}{{"egress", e.From, e.Egress}, {"ingress", e.To, e.Ingress}} {
		if d.s.Pod == "" {
			fmt.Fprintf(buf, "  %-7s %s is not a pod: no policy applies on this side\n", d.dir, d.who)
			continue
		}
		steps := make([]string, 0, len(d.s.Passed)+1)
		for _, r := range d.s.Passed {
			steps = append(steps, "passed on by "+r.ref)
		}
		fmt.Fprintf(buf, "  %-7s %s %s\n", d.dir, d.s.Pod, strings.Join(append(steps, decision(d.dir, d.s)), ", then "))
		for _, r := range d.s.Unenforced {
			effect := "fails closed: the rule denies every address" // a Deny or Pass rule; the IR holds it as Deny
			if r.Action == ir.Accept.String() {
				effect = "matches nothing"
			}
			fmt.Fprintf(buf, "          not enforced: %s of %s: %s\n", strings.Join(r.Unenforced, ", "), r.ref, effect)
		}
	}
}

// decision says what decided side s of direction dir.
func decision(dir string, s side) string {
	switch {
	case s.DecidedBy != nil && s.DecidedBy.Action == ir.Accept.String():
		return "accepted by " + s.DecidedBy.ref
	case s.DecidedBy != nil:
		return "denied by " + s.DecidedBy.ref
	case s.undecided && len(s.Passed) > 0:
		return "no later ClusterNetworkPolicy rule decides: allowed by default"
	case s.undecided:
		return "is not isolated for " + dir + " and no ClusterNetworkPolicy rule matches: allowed by default"
	case !s.Isolated:
		return "is not isolated for " + dir + ": allowed"
	case len(s.AllowedBy) > 0:
		return fmt.Sprintf("is isolated by %s; allowed by %s", strings.Join(s.Policies, ", "), strings.Join(s.AllowedBy, ", "))
	case s.Audited:
		return fmt.Sprintf("is isolated by %s; no rule of them allows it: audit mode, logged and let through",
			strings.Join(s.Policies, ", "))
	default:
		return fmt.Sprintf("is isolated by %s; no rule of them allows it: denied", strings.Join(s.Policies, ", "))
	}
}

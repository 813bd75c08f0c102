package plugin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/compiler/eval"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft"
)

// unscheduled stands for the node of eligible pods without spec.nodeName (manifests written by hand, or a pod the
// API server has not bound yet): dry-run treats them as the pods of one more node, so their part of the ruleset
// is shown too. No node can be called that: parentheses are not allowed in node names.
const unscheduled = "(unscheduled)"

// DryRunReport is what dry-run prints; -o json and -o yaml write it as it is (see the command's --help).
type DryRunReport struct {
	Policies     []policyAction `json:"policies"`
	Connectivity Connectivity   `json:"connectivity"`
	// Nodes are the nodes whose ruleset changes, sorted, "(unscheduled)" last.
	Nodes []NodeDiff `json:"nodes"`
	// UnchangedNodes counts the other nodes that host an eligible pod.
	UnchangedNodes int `json:"unchangedNodes"`
}

// Connectivity is the difference between the matrix before and after.
type Connectivity struct {
	LostProbes   int          `json:"lostProbes"`
	GainedProbes int          `json:"gainedProbes"`
	Lost         []probeGroup `json:"lost"`
	Gained       []probeGroup `json:"gained"`
}

// probeGroup is a set of probes that change the same way for the same reason, anchored on the pod whose policies
// decide: the destination when its ingress is a cause (then all probes are on one port of it), else the source.
type probeGroup struct {
	// Summary is the group in one line: "alpha/*, beta/client → beta/web TCP/80".
	Summary string `json:"summary"`
	// Side is "ingress" (the destination's policies decide) or "egress" (the source's).
	Side string `json:"side"`
	// Pod is the destination (ingress) or the source (egress).
	Pod string `json:"pod"`
	// Port is the destination's port, "TCP/80", for an ingress group.
	Port string `json:"port,omitempty"`
	// Family is "IPv4" or "IPv6" when the change holds for one family of dual-stack pairs only.
	Family string `json:"family,omitempty"`
	// Peers are the other ends: sources (ingress) or destinations with their ports (egress); "ns/*" stands for
	// every pod of ns that could be there (on every port).
	Peers  []string `json:"peers"`
	Causes []cause  `json:"causes"`
	// Count is the number of probes (pod pair, port, address family).
	Count  int       `json:"count"`
	Probes probeList `json:"probes"`
}

// cause is why one side of the probes changed.
type cause struct {
	// Side is "ingress" (of the destination) or "egress" (of the source).
	Side string `json:"side"`
	// Isolated: NetworkPolicies isolate the pod for Side after the change.
	Isolated bool `json:"isolated"`
	// IsolatedBy are the NetworkPolicies isolating it after the change: for a lost probe that no
	// ClusterNetworkPolicy rule denies, none of their rules allows it.
	IsolatedBy []string `json:"isolatedBy"`
	// DecidedBy is the Admin or Baseline ClusterNetworkPolicy rule that decides after the change, when one does:
	// it denies a lost probe, accepts a gained one. `Admin ClusterNetworkPolicy NAME ingress[0] "rule" (priority 10)`.
	DecidedBy string `json:"decidedBy,omitempty"`
	// AllowedBy (gained probes) are the rules allowing it after the change: "ns/name spec.ingress[i]".
	AllowedBy []string `json:"allowedBy,omitempty"`
	// WasIsolatedBy (gained probes) are the policies that isolated it, and denied it, before.
	WasIsolatedBy []string `json:"wasIsolatedBy,omitempty"`
	// WasDecidedBy (gained probes) is the ClusterNetworkPolicy rule that denied it before, when one did.
	WasDecidedBy string `json:"wasDecidedBy,omitempty"`

	gained bool
}

func (c cause) String() string {
	was := ""
	if c.WasDecidedBy != "" {
		was = " (was denied by " + c.WasDecidedBy + ")"
	}
	switch {
	case c.DecidedBy != "" && c.gained:
		return fmt.Sprintf("%s accepted by %s%s", c.Side, c.DecidedBy, was)
	case c.DecidedBy != "":
		return fmt.Sprintf("%s denied by %s", c.Side, c.DecidedBy)
	case len(c.AllowedBy) > 0:
		return fmt.Sprintf("%s allowed by %s%s", c.Side, strings.Join(c.AllowedBy, ", "), was)
	case c.gained && c.WasDecidedBy != "":
		return fmt.Sprintf("%s no longer denied%s", c.Side, was)
	case !c.Isolated:
		return fmt.Sprintf("%s no longer isolated (was by %s)", c.Side, strings.Join(c.WasIsolatedBy, ", "))
	}
	return fmt.Sprintf("%s isolated by %s, no rule allows", c.Side, strings.Join(c.IsolatedBy, ", "))
}

// decidedBy names the ClusterNetworkPolicy rule that decided a side, or "" when none did.
func decidedBy(s eval.Side) string {
	if s.DecidedBy == nil {
		return ""
	}
	return s.DecidedBy.String()
}

// probeJSON is one probe of a group.
type probeJSON struct {
	From     string `json:"from"`
	To       string `json:"to"`
	FromIP   string `json:"fromIP"`
	ToIP     string `json:"toIP"`
	Port     uint16 `json:"port"`
	Protocol string `json:"protocol"`
}

// NodeDiff is how one node's table inet nftpolicy changes (nft.Diff of the tables before and after).
type NodeDiff struct {
	Node   string     `json:"node"`
	Chains chainDiffs `json:"chains"`
	Sets   setDiffs   `json:"sets"`
}

type chainDiffs struct {
	Added     []chainChange `json:"added"`
	Removed   []chainChange `json:"removed"`
	Rewritten []chainChange `json:"rewritten"`
}

// chainChange is one chain: its policies (the comment of its drop rule) and the rules that come or go.
type chainChange struct {
	Name         string   `json:"name"`
	Comment      string   `json:"comment,omitempty"`
	RulesAdded   []string `json:"rulesAdded,omitempty"`
	RulesRemoved []string `json:"rulesRemoved,omitempty"`
}

type setDiffs struct {
	Added   []setChange `json:"added"`
	Removed []setChange `json:"removed"`
	Changed []setChange `json:"changed"`
}

// setChange is one set or map and its elements that come or go, as nft writes them.
type setChange struct {
	Name            string   `json:"name"`
	ElementsAdded   []string `json:"elementsAdded,omitempty"`
	ElementsRemoved []string `json:"elementsRemoved,omitempty"`
}

// DryRun computes what applying ch to cluster c changes: the connectivity matrix (on the probes of `matrix`) and
// every node's ruleset. Only the probes whose verdict can change are evaluated (see affected) and only the nodes
// whose ruleset can change are compiled; the result is the same as comparing everything.
func DryRun(c build.Cluster, ch Change) (*DryRunReport, error) {
	return dryRun(c, ch, false)
}

// dryRun is DryRun; full evaluates every probe and compiles every node (to test that the shortcut loses nothing).
func dryRun(c build.Cluster, ch Change, full bool) (*DryRunReport, error) {
	after, actions, err := applyChange(c, ch)
	if err != nil {
		return nil, err
	}
	pods, err := (&state{cluster: c}).pods()
	if err != nil {
		return nil, err
	}
	rep := &DryRunReport{Policies: actions, Nodes: []NodeDiff{}}

	var irs [2]*ir.Node
	var errs [2]error
	parallel(2, func(i int) { irs[i], errs[i] = build.Node([]build.Cluster{c, after}[i], "") })
	if err := cmp.Or(errs[0], errs[1]); err != nil {
		return nil, err
	}
	changed := changedPolicies{policies: map[ir.PolicyRef]bool{}, cluster: map[string]bool{}}.of(actions)
	sides := affected(pods, irs, changed, full)
	rep.Connectivity = connectivityDiff(pods, sides, eval.New(irs[0]), eval.New(irs[1]))
	rep.Nodes, rep.UnchangedNodes, err = nodeDiffs(c, after, pods, sides, full)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// affectedSides are, per direction (ir.Ingress, ir.Egress), the pods whose side of a verdict may change.
type affectedSides [2]map[*pod]bool

// affected finds the pods whose ingress or egress verdicts can change: the members of a group (before or after)
// that a changed policy applies to for that direction — a NetworkPolicy isolating them, or a ClusterNetworkPolicy
// with rules in the group's Admin or Baseline tier. A verdict is the source's egress side and the destination's
// ingress side; a side depends only on the policies of its pod's group for that direction and on their rules, so a
// side can change only if one of those policies changes, which makes the pod a member of such a group before or
// after. A pod sharing an address with an affected pod is affected too (which group owns a shared address depends
// on the groups). With full, every pod is.
func affected(pods []*pod, irs [2]*ir.Node, changed changedPolicies, full bool) affectedSides {
	sides := affectedSides{{}, {}}
	byRef := make(map[ir.PodRef]*pod, len(pods))
	for _, p := range pods {
		byRef[ir.PodRef{Namespace: p.obj.Namespace, Name: p.obj.Name}] = p
		if full {
			sides[ir.Ingress][p], sides[ir.Egress][p] = true, true
		}
	}
	if full {
		return sides
	}
	for _, n := range irs {
		for gi := range n.Groups {
			g := &n.Groups[gi]
			inCluster := func(r ir.ClusterRule) bool { return changed.cluster[r.Policy] }
			if !slices.ContainsFunc(g.Policies, func(r ir.PolicyRef) bool { return changed.policies[r] }) &&
				!slices.ContainsFunc(g.Admin, inCluster) && !slices.ContainsFunc(g.Baseline, inCluster) {
				continue
			}
			for _, m := range g.Members {
				if p := byRef[m.Pod]; p != nil {
					sides[g.Direction][p] = true
				}
			}
		}
	}
	byAddr := map[netip.Addr][]*pod{}
	for _, p := range pods {
		for _, a := range p.ips {
			byAddr[a] = append(byAddr[a], p)
		}
	}
	for d := range sides {
		var twins []*pod
		for p := range sides[d] {
			for _, a := range p.ips {
				twins = append(twins, byAddr[a]...)
			}
		}
		for _, q := range twins {
			sides[d][q] = true
		}
	}
	return sides
}

// flip is a probe whose verdict changes, kept small: a large cluster can have a million.
type flip struct {
	from, to     *pod
	fromIP, toIP uint8  // indexes into from.ips and to.ips
	port         uint16 // index into to.ports
	why          int32  // index into the worker's reasons
}

// reasons interns why probes change, per worker.
type reasons struct {
	ids  map[reasonKey]int32
	list []reason
}

type reason struct {
	gained bool
	causes []cause
	text   string
}

// reasonKey identifies a reason cheaply: which sides are causes, and how. A side's policies (before and after)
// depend only on its address (which group owns it), so the address stands for them; the rules that decide
// depend on the probe too, and are part of the key.
type reasonKey struct {
	gained bool
	sides  [2]sideKey // ingress, egress
}

type sideKey struct {
	addr     netip.Addr // invalid: this side is not a cause
	isolated bool
	rules    string // gained: the rules that allow it now
	// decided and wasDecided (gained) are the ClusterNetworkPolicy rules that decide after and before, or "".
	decided, wasDecided string
}

// connectivityDiff evaluates, before and after, the probes whose verdict can change: from a pod whose egress
// side may change to every pod, and from every other pod to a pod whose ingress side may change.
func connectivityDiff(pods []*pod, sides affectedSides, before, after *eval.Evaluator) Connectivity {
	var egr, rest, ing []*pod
	for _, p := range pods {
		if sides[ir.Egress][p] {
			egr = append(egr, p)
		} else {
			rest = append(rest, p)
		}
		if sides[ir.Ingress][p] {
			ing = append(ing, p)
		}
	}
	// Split the sources among workers; each collects its own flips.
	type job struct{ froms, tos []*pod }
	var jobs []job
	workers := runtime.GOMAXPROCS(0)
	for _, j := range []job{{egr, pods}, {rest, ing}} {
		if len(j.tos) == 0 {
			continue
		}
		size := max(1, (len(j.froms)+workers-1)/workers)
		for lo := 0; lo < len(j.froms); lo += size {
			jobs = append(jobs, job{j.froms[lo:min(lo+size, len(j.froms))], j.tos})
		}
	}
	found := make([][]flip, len(jobs))
	why := make([]*reasons, len(jobs))
	parallel(len(jobs), func(i int) {
		rs := &reasons{ids: map[reasonKey]int32{}}
		why[i] = rs
		eachProbe(jobs[i].froms, jobs[i].tos, nil, func(pr probe) {
			vb := before.Check(pr.fromIP, pr.toIP, pr.port.proto, pr.port.num)
			va := after.Check(pr.fromIP, pr.toIP, pr.port.proto, pr.port.num)
			if vb.Allowed == va.Allowed {
				return
			}
			found[i] = append(found[i], flip{from: pr.from, to: pr.to,
				fromIP: uint8(slices.Index(pr.from.ips, pr.fromIP)), toIP: uint8(slices.Index(pr.to.ips, pr.toIP)),
				port: uint16(slices.IndexFunc(pr.to.ports, func(p port) bool { return p.proto == pr.port.proto && p.num == pr.port.num })),
				why:  rs.of(pr, vb, va)})
		})
	})
	return groupFlips(pods, found, why)
}

// of interns the reason of a flip: for a lost probe, each side that denies it now; for a gained one, each side
// that denied it before, as it is now.
func (rs *reasons) of(pr probe, before, after eval.Verdict) int32 {
	k := reasonKey{gained: after.Allowed}
	type sideOf struct {
		name          string
		addr          netip.Addr
		before, after eval.Side
	}
	both := [2]sideOf{{"ingress", pr.toIP, before.Ingress, after.Ingress}, {"egress", pr.fromIP, before.Egress, after.Egress}}
	for i, d := range both {
		switch {
		case !k.gained && !d.after.Allowed:
			k.sides[i] = sideKey{addr: d.addr, isolated: d.after.Isolated, decided: decidedBy(d.after)}
		case k.gained && !d.before.Allowed:
			k.sides[i] = sideKey{addr: d.addr, isolated: d.after.Isolated, rules: ruleNames(d.name, d.after.AllowedBy),
				decided: decidedBy(d.after), wasDecided: decidedBy(d.before)}
		}
	}
	if id, ok := rs.ids[k]; ok {
		return id
	}
	r := reason{gained: k.gained}
	var texts []string
	for i, d := range both {
		sk := k.sides[i]
		if !sk.addr.IsValid() {
			continue
		}
		c := cause{Side: d.name, Isolated: sk.isolated, IsolatedBy: policyNames(d.after.Policies),
			DecidedBy: sk.decided, gained: k.gained}
		if k.gained {
			c.WasIsolatedBy = policyNames(d.before.Policies)
			c.WasDecidedBy = sk.wasDecided
			if sk.rules != "" {
				c.AllowedBy = strings.Split(sk.rules, ", ")
			}
		}
		r.causes = append(r.causes, c)
		texts = append(texts, c.String())
	}
	r.text = strings.Join(texts, "; ")
	id := int32(len(rs.list))
	rs.list = append(rs.list, r)
	rs.ids[k] = id
	return id
}

func ruleNames(dir string, rules []eval.RuleRef) string {
	var b strings.Builder
	for i, r := range rules {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(r.Policy.Namespace + "/" + r.Policy.Name + " spec." + dir + "[" + strconv.Itoa(r.Index) + "]")
	}
	return b.String()
}

// parallel runs fn(0..n-1) on up to GOMAXPROCS goroutines and waits for them.
func parallel(n int, fn func(i int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

func policyNames(refs []ir.PolicyRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.String()
	}
	return out
}

// groupFlips groups the flips by change, anchor pod, port (ingress), reason and address family, sorted.
func groupFlips(pods []*pod, found [][]flip, why []*reasons) Connectivity {
	// Reasons by their text, across workers.
	type canon struct {
		gained bool
		causes []cause
		text   string
	}
	var reasonList []canon
	byText := map[string]int{}
	global := make([][]int, len(why))
	for w, rs := range why {
		global[w] = make([]int, len(rs.list))
		for i, r := range rs.list {
			key := fmt.Sprint(r.gained) + r.text
			id, ok := byText[key]
			if !ok {
				id = len(reasonList)
				byText[key] = id
				reasonList = append(reasonList, canon{r.gained, r.causes, r.text})
			}
			global[w][i] = id
		}
	}
	// Items are the probes of one pod pair on one port for one reason, with the families that changed: eachProbe
	// enumerates the families of a pair and port one after the other, so they are runs of flips.
	type item struct {
		from, to *pod
		port     uint16
		why      int
		fams     uint8 // bit 0: IPv4, bit 1: IPv6
		flips    []flip
	}
	total := 0
	for _, flips := range found {
		total += len(flips)
	}
	items := make([]item, 0, total)
	for w, flips := range found {
		for i := 0; i < len(flips); {
			f := flips[i]
			it := item{from: f.from, to: f.to, port: f.port, why: global[w][f.why]}
			j := i
			for ; j < len(flips) && flips[j].from == f.from && flips[j].to == f.to && flips[j].port == f.port &&
				global[w][flips[j].why] == it.why; j++ {
				it.fams |= famBit(f.from.ips[flips[j].fromIP].Is4())
			}
			it.flips = flips[i:j:j]
			items = append(items, it)
			i = j
		}
	}
	// Then the groups: one anchor pod, one reason, one family restriction (and one port of the destination).
	type groupKey struct {
		side   string
		anchor *pod
		port   port
		why    int
		fams   uint8 // 0: every family the pairs share
	}
	type group struct {
		groupKey
		items []*item
	}
	groups := map[groupKey]*group{}
	var gorder []*group
	for i := range items {
		it := &items[i]
		k := groupKey{side: "egress", anchor: it.from, why: it.why}
		if reasonList[it.why].causes[0].Side == "ingress" {
			k.side, k.anchor, k.port = "ingress", it.to, it.to.ports[it.port]
		}
		if it.fams != sharedFams(it.from, it.to) {
			k.fams = it.fams
		}
		g := groups[k]
		if g == nil {
			g = &group{groupKey: k}
			groups[k] = g
			gorder = append(gorder, g)
		}
		g.items = append(g.items, it)
	}
	byNs := map[string][]*pod{}
	for _, p := range pods {
		byNs[p.obj.Namespace] = append(byNs[p.obj.Namespace], p)
	}
	out := Connectivity{Lost: []probeGroup{}, Gained: []probeGroup{}}
	for _, g := range gorder {
		r := reasonList[g.why]
		pg := probeGroup{Side: g.side, Pod: g.anchor.key, Causes: r.causes}
		if g.side == "ingress" {
			pg.Port = g.port.String()
		}
		switch g.fams {
		case 1:
			pg.Family = "IPv4"
		case 2:
			pg.Family = "IPv6"
		}
		peers := map[*pod][]port{}
		for _, it := range g.items {
			peer := it.from
			if g.side == "egress" {
				peer = it.to
			}
			peers[peer] = append(peers[peer], it.to.ports[it.port])
			pg.Probes.runs = append(pg.Probes.runs, it.flips)
			pg.Count += len(it.flips)
		}
		pg.Peers = collapsePeers(g.anchor, g.side, peers, byNs)
		pg.Summary = summary(pg, pg.Peers)
		if r.gained {
			out.Gained = append(out.Gained, pg)
			out.GainedProbes += pg.Count
		} else {
			out.Lost = append(out.Lost, pg)
			out.LostProbes += pg.Count
		}
	}
	for _, gs := range [][]probeGroup{out.Lost, out.Gained} {
		slices.SortFunc(gs, func(a, b probeGroup) int {
			return cmp.Or(strings.Compare(a.Pod, b.Pod), strings.Compare(a.Side, b.Side), comparePortText(a.Port, b.Port),
				strings.Compare(a.Family, b.Family), strings.Compare(a.Summary, b.Summary))
		})
	}
	return out
}

// probeList are the probes of a group, written out (sorted) only for -o json and yaml.
type probeList struct{ runs [][]flip }

func (l probeList) MarshalJSON() ([]byte, error) {
	out := []probeJSON{}
	for _, run := range l.runs {
		for _, f := range run {
			pt := f.to.ports[f.port]
			out = append(out, probeJSON{From: f.from.key, To: f.to.key, FromIP: f.from.ips[f.fromIP].String(),
				ToIP: f.to.ips[f.toIP].String(), Port: pt.num, Protocol: protoName(pt.proto)})
		}
	}
	slices.SortFunc(out, func(a, b probeJSON) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To),
			strings.Compare(a.Protocol, b.Protocol), cmp.Compare(a.Port, b.Port), strings.Compare(a.FromIP, b.FromIP))
	})
	return json.Marshal(out)
}

func famBit(is4 bool) uint8 {
	if is4 {
		return 1
	}
	return 2
}

// sharedFams are the address families both pods have.
func sharedFams(a, b *pod) uint8 {
	var fa, fb uint8
	for _, ip := range a.ips {
		fa |= famBit(ip.Is4())
	}
	for _, ip := range b.ips {
		fb |= famBit(ip.Is4())
	}
	return fa & fb
}

// comparePortText orders "TCP/80" before "TCP/443" before "UDP/53".
func comparePortText(a, b string) int {
	pa, na, _ := strings.Cut(a, "/")
	pb, nb, _ := strings.Cut(b, "/")
	return cmp.Or(strings.Compare(pa, pb), cmp.Compare(len(na), len(nb)), strings.Compare(na, nb))
}

// collapsePeers names the peers of a group, sorted: "ns/*" when every pod of ns that could be a peer is one (for
// egress, on every port it declares), "*/*" when that holds for every namespace, else the pods (for egress, with
// the ports: "ns/pod TCP/80,8443").
func collapsePeers(anchor *pod, side string, peers map[*pod][]port, byNs map[string][]*pod) []string {
	candidate := func(q *pod) bool {
		return q != anchor && sharedFams(anchor, q) != 0 && (side == "ingress" || len(q.ports) > 0)
	}
	nss := map[string]bool{}
	for p := range peers {
		nss[p.obj.Namespace] = true
	}
	var out []string
	everywhere := true
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		all := true
		var named []string
		for _, q := range byNs[ns] {
			if !candidate(q) {
				continue
			}
			pts, ok := peers[q]
			if !ok {
				all = false
				continue
			}
			if side == "ingress" {
				named = append(named, q.key)
				continue
			}
			if len(distinctPorts(pts)) < len(q.ports) {
				all = false
			}
			named = append(named, q.key+" "+portsText(distinctPorts(pts)))
		}
		if all {
			out = append(out, ns+"/*")
		} else {
			out = append(out, named...)
			everywhere = false
		}
	}
	if everywhere {
		for ns, qs := range byNs {
			if !nss[ns] && slices.ContainsFunc(qs, candidate) {
				return out
			}
		}
		return []string{"*/*"}
	}
	return out
}

func distinctPorts(pts []port) []port {
	out := slices.Clone(pts)
	sortPorts(out)
	return slices.CompactFunc(out, func(a, b port) bool { return a.proto == b.proto && a.num == b.num })
}

// portsText writes sorted ports as "TCP/80,8443,UDP/53".
func portsText(pts []port) string {
	var b strings.Builder
	for i, p := range pts {
		if i > 0 {
			b.WriteByte(',')
		}
		if i == 0 || pts[i-1].proto != p.proto {
			b.WriteString(protoName(p.proto) + "/")
		}
		fmt.Fprint(&b, p.num)
	}
	return b.String()
}

// summary writes a group in one line, its peers given (all of them, or the first few and "... and N more").
func summary(g probeGroup, peers []string) string {
	list := strings.Join(peers, ", ")
	var s string
	if g.Side == "ingress" {
		s = list + " → " + g.Pod + " " + g.Port
	} else {
		s = g.Pod + " → " + list
	}
	if g.Family != "" {
		s += " (" + g.Family + " only)"
	}
	return s
}

// nodeOf is the node a pod runs on, or unscheduled.
func nodeOf(p *corev1.Pod) string {
	return cmp.Or(p.Spec.NodeName, unscheduled)
}

// nodeDiffs compiles the table of every node whose ruleset may change, before and after, and diffs them. A
// node's table is made of the groups of its local pods; a group changes only if one of its policies does, so only
// the nodes of affected pods are compiled (every node hosting an eligible pod, with full).
func nodeDiffs(before, after build.Cluster, pods []*pod, sides affectedSides, full bool) ([]NodeDiff, int, error) {
	all, some := map[string]bool{}, map[string]bool{}
	for _, p := range pods {
		n := nodeOf(p.obj)
		all[n] = true
		if full || sides[ir.Ingress][p] || sides[ir.Egress][p] {
			some[n] = true
		}
	}
	todo := slices.SortedFunc(maps.Keys(some), compareNodes)
	// Pods without a node are the local pods of node "(unscheduled)".
	podsN := before.Pods
	if slices.ContainsFunc(before.Pods, func(p *corev1.Pod) bool { return p != nil && p.Spec.NodeName == "" }) {
		podsN = make([]*corev1.Pod, len(before.Pods))
		for i, p := range before.Pods {
			podsN[i] = p
			if p != nil && p.Spec.NodeName == "" {
				cp := *p
				cp.Spec.NodeName = unscheduled
				podsN[i] = &cp
			}
		}
	}
	before.Pods, after.Pods = podsN, podsN
	diffs := make([]*NodeDiff, len(todo))
	errs := make([]error, len(todo))
	parallel(len(todo), func(i int) {
		var tables [2]*nft.Table
		for j, c := range []build.Cluster{before, after} {
			n, err := build.Node(c, todo[i])
			if err != nil {
				errs[i] = err
				return
			}
			tables[j] = compiler.Compile(n)
		}
		diffs[i] = diffTables(todo[i], tables[0], tables[1])
	})
	out := []NodeDiff{}
	for i := range todo {
		if errs[i] != nil {
			return nil, 0, errs[i]
		}
		if diffs[i] != nil {
			out = append(out, *diffs[i])
		}
	}
	return out, len(all) - len(out), nil
}

// compareNodes sorts node names, "(unscheduled)" last.
func compareNodes(a, b string) int {
	return cmp.Or(cmp.Compare(boolInt(a == unscheduled), boolInt(b == unscheduled)), strings.Compare(a, b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// diffTables describes nft.Diff(before, after); nil when nothing changes.
func diffTables(node string, before, after *nft.Table) *NodeDiff {
	p := nft.Diff(before, after)
	if p.Empty() {
		return nil
	}
	d := &NodeDiff{Node: node,
		Chains: chainDiffs{Added: []chainChange{}, Removed: []chainChange{}, Rewritten: []chainChange{}},
		Sets:   setDiffs{Added: []setChange{}, Removed: []setChange{}, Changed: []setChange{}}}
	oldChains := map[string]*nft.Chain{}
	for _, c := range before.Chains {
		oldChains[c.Name] = c
	}
	oldSets := map[string]*nft.Set{}
	for _, s := range before.Sets {
		oldSets[s.Name] = s
	}
	added := map[string]bool{}
	for _, c := range p.AddChains {
		if !slices.Contains(p.DelChains, c.Name) {
			added[c.Name] = true
			d.Chains.Added = append(d.Chains.Added, chainChangeOf(nil, c))
		}
	}
	for _, name := range p.DelChains {
		if !slices.ContainsFunc(p.AddChains, func(c *nft.Chain) bool { return c.Name == name }) {
			d.Chains.Removed = append(d.Chains.Removed, chainChangeOf(oldChains[name], nil))
		}
	}
	for _, c := range p.WriteChains {
		if !added[c.Name] {
			d.Chains.Rewritten = append(d.Chains.Rewritten, chainChangeOf(oldChains[c.Name], c))
		}
	}
	changed := map[string]*setChange{}
	for _, s := range p.AddSets {
		if old, replaced := oldSets[s.Name]; replaced { // its definition changed: every element goes and comes
			changed[s.Name] = &setChange{Name: s.Name, ElementsRemoved: elementTexts(old, old.Elements),
				ElementsAdded: elementTexts(s, s.Elements)}
			continue
		}
		d.Sets.Added = append(d.Sets.Added, setChange{Name: s.Name, ElementsAdded: elementTexts(s, s.Elements)})
	}
	for _, name := range p.DelSets {
		if !slices.ContainsFunc(p.AddSets, func(s *nft.Set) bool { return s.Name == name }) {
			old := oldSets[name]
			d.Sets.Removed = append(d.Sets.Removed, setChange{Name: name, ElementsRemoved: elementTexts(old, old.Elements)})
		}
	}
	newSets := map[string]*nft.Set{}
	for _, s := range after.Sets {
		newSets[s.Name] = s
	}
	for name, es := range p.AddElements {
		sc := changed[name]
		if sc == nil {
			sc = &setChange{Name: name}
			changed[name] = sc
		}
		sc.ElementsAdded = elementTexts(newSets[name], es)
	}
	for name, es := range p.DelElements {
		sc := changed[name]
		if sc == nil {
			sc = &setChange{Name: name}
			changed[name] = sc
		}
		sc.ElementsRemoved = elementTexts(oldSets[name], es)
	}
	for _, name := range slices.Sorted(maps.Keys(changed)) {
		d.Sets.Changed = append(d.Sets.Changed, *changed[name])
	}
	byName := func(a, b chainChange) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(d.Chains.Added, byName)
	slices.SortFunc(d.Chains.Removed, byName)
	slices.SortFunc(d.Chains.Rewritten, byName)
	setByName := func(a, b setChange) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(d.Sets.Added, setByName)
	slices.SortFunc(d.Sets.Removed, setByName)
	return d
}

// chainChangeOf describes a chain from old to new (either may be nil): its comment, and the rules only one has.
func chainChangeOf(old, new *nft.Chain) chainChange {
	var c chainChange
	texts := func(ch *nft.Chain) []string {
		if ch == nil {
			return nil
		}
		out := make([]string, len(ch.Rules))
		for i, r := range ch.Rules {
			out[i] = r.String()
			if r.Comment != "" {
				c.Comment = r.Comment
			}
		}
		c.Name = ch.Name
		return out
	}
	o, n := texts(old), texts(new)
	for _, r := range n {
		if !slices.Contains(o, r) {
			c.RulesAdded = append(c.RulesAdded, r)
		}
	}
	for _, r := range o {
		if !slices.Contains(n, r) {
			c.RulesRemoved = append(c.RulesRemoved, r)
		}
	}
	return c
}

func elementTexts(s *nft.Set, es []nft.Element) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = nft.ElementText(s, e)
	}
	return out
}

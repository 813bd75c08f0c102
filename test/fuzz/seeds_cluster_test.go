package fuzz

import (
	"fmt"
	"strings"
	"testing"

	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
)

// clusterSeeds are the seeds with ClusterNetworkPolicies and Nodes: the valid ones first, then the invalid ones
// in the order of clusterSeedErrors.
func clusterSeeds() [][]byte {
	teamA, teamB := sel([]int{kTeam, vA}), sel([]int{kTeam, vB})
	return [][]byte{
		// Admin before NetworkPolicy: a (priority 10) passes TCP 80 from namespace b to namespace a and denies the
		// rest from b; b ties at 10 and comes after a by name. web is isolated by a NetworkPolicy.
		input(nodeN1, shop(),
			policy(short(nsA), short(nameWeb), sel([]int{kApp, vWeb}), typesIngress),
			ingressRule(), nsPeer(teamB), namedPort(protoTCP, http),
			clusterPolicy(short(nsA), tierAdmin, 1, subjectNamespaces(teamA)),
			clusterIngress(ruleNamed, actPass, cnsPeer(teamB)), cport(cTCP, number(p80)),
			clusterIngress(ruleUnnamed, actDeny, cnsPeer(teamB)),
			clusterEgress(rule100, actAccept, cpodPeer(sel(nil), sel([]int{kApp, vA}))), crange(cUDP, number(p53), 10),
			cnamed(dns),
			clusterPolicy(short(nsB), tierAdmin, 2, subjectPods(sel(nil), sel([]int{kApp, vWeb}))),
			clusterIngress(ruleUnnamed, actAccept, ceveryNamespacePeer()), cport(cSCTP, exactNumber(2905)),
			clusterIngress(ruleUnnamed, actPass, cunknownPeer()), cport(cUDP, number(p53))),
		// Baseline with node peers (node n2's ExternalIP is db's address), networks, domainNames (Pass fails
		// closed, Accept matches nothing), a protocols entry of a newer API, named ports on pods.
		input(allNodes, shop(),
			node(0, labels(kRole, vA), nodeAddrs(nodeIPv4(internalIP, 3, 1), nodeIPv6(externalIP, 3, 1), nodeName(hostName, 0))),
			node(1, labels(kRole, vB), nodeAddrs(nodeIPv4(internalIP, 3, 2), nodeIPv4(externalIP, 0, 11))),
			clusterPolicy(short(nameDefault), tierBaseline, 0, subjectEveryNamespace()),
			clusterEgress(ruleNamed, actAccept, cnodePeer(sel([]int{kRole, vA}))), cport(cTCP, number(p443)),
			clusterEgress(ruleUnnamed, actDeny, cnodePeer(sel(nil))),
			clusterEgress(ruleUnnamed, actPass, cdomainPeer(0, 2)), cport(cUDP, number(p53)),
			clusterEgress(ruleUnnamed, actDeny, cnetPeer(tenSlash16, hostBits24)), clusterPeer(cnetPeer(fd64)),
			cunknownProto(), callPorts(cSCTP),
			clusterPolicy(short(nameWeb), tierBaseline, 4, subjectPods(sel(nil), sel([]int{kApp, vWeb}))),
			clusterIngress(ruleUnnamed, actAccept, cpodPeer(teamB, sel(nil))), cnamed(http), cnamed(metrics),
			clusterIngress(ruleUnnamed, actDeny, ceveryNamespacePeer()),
			clusterEgress(ruleUnnamed, actAccept, cdomainPeer(1, 1))),
		// Pass conflicts in both families (Pass TCP 80 and 8080-8180 to b before Deny b), Admin ties at 20 (c before
		// web), Admin followed by Baseline.
		input(nodeN1, shop(),
			clusterPolicy(short(nsC), tierAdmin, 3, subjectEveryNamespace()),
			clusterEgress(ruleUnnamed, actPass, cnsPeer(teamB)), cport(cTCP, number(p80)), crange(cTCP, number(p8080), 100),
			clusterEgress(ruleUnnamed, actAccept, cnetPeer(all4, all6)), cport(cUDP, number(p53)),
			clusterEgress(ruleUnnamed, actDeny, cnsPeer(teamB)),
			clusterEgress(ruleUnnamed, actAccept, cpodPeer(sel(nil), sel(nil))),
			clusterPolicy(short(nameDB), tierBaseline, 5, subjectNamespaces(sel(nil, req(kTeam, opIn, vA, vB)))),
			clusterEgress(ruleUnnamed, actDeny, cnetPeer(all4)), callPorts(cTCP),
			clusterIngress(ruleUnnamed, actPass, cpodPeer(sel(nil), sel([]int{kApp, vA}))), cunknownProto(),
			clusterIngress(ruleUnnamed, actDeny, ceveryNamespacePeer()),
			clusterPolicy(short(nameWeb), tierAdmin, 3, subjectPods(teamA, sel([]int{kApp, vWeb}))),
			clusterIngress(ruleNamed, actDeny, cnsPeer(teamB)), cport(cTCP, number(p8080))),
		// A change: after the mark a ClusterNetworkPolicy goes, a node is relabelled and readdressed, another goes,
		// a ClusterNetworkPolicy comes.
		input(nodeN1, shop(),
			node(0, labels(kRole, vA), nodeAddrs(nodeIPv4(internalIP, 3, 1))),
			node(1, labels(kRole, vB), nodeAddrs(nodeIPv6(internalIP, 3, 2))),
			clusterPolicy(short(nsA), tierAdmin, 0, subjectEveryNamespace()),
			clusterEgress(ruleUnnamed, actDeny, cnodePeer(sel([]int{kRole, vB}))),
			clusterPolicy(short(nsB), tierBaseline, 0, subjectNamespaces(teamA)),
			clusterEgress(ruleUnnamed, actDeny, cnodePeer(sel(nil))), cport(cTCP, number(p443)),
			mark(),
			deleteClusterPolicy(0),
			relabelNode(0, labels(kRole, vB), nodeAddrs(nodeIPv6(externalIP, 2, 5), nodeIPv4(internalIP, 2, 6))),
			deleteNode(1),
			clusterPolicy(short(nsC), tierAdmin, 5, subjectNamespaces(teamA)),
			clusterIngress(ruleUnnamed, actPass, cnsPeer(sel(nil))), cport(cUDP, number(p53)),
			clusterIngress(ruleUnnamed, actAccept, cnsPeer(teamB))),
		// Invalid inputs, each failing with an error that names the ClusterNetworkPolicy or Node: a network with
		// host bits (10.0.0.1/24, after a generated IPv6 prefix's four bytes), a range 80-80, an unknown tier, a
		// peer with namespaces and pods, a node listed twice.
		input(invalidOnNode1, shop(), clusterPolicy(short(nsA), tierAdmin, 0, subjectEveryNamespace()),
			clusterEgress(ruleUnnamed, actDeny, []byte{2, 0, 0xfa, 0, 0, 0, 0})),
		input(invalidOnNode1, shop(), clusterPolicy(short(nsA), tierAdmin, 0, subjectEveryNamespace()),
			clusterIngress(ruleUnnamed, actAccept, ceveryNamespacePeer()), []byte{opClusterProtocol, 0xf0, p80, cTCP, 2, 0}),
		input(invalidOnNode1, shop(), []byte{opClusterPolicy, nsA, 0xf9 /* Application */, 0}, subjectEveryNamespace()),
		input(invalidOnNode1, shop(), clusterPolicy(short(nsA), tierBaseline, 0, subjectEveryNamespace()),
			clusterEgress(ruleUnnamed, actAccept, cat([]byte{0xf0}, sel(nil), []byte{0}, sel(nil), sel(nil)))),
		input(invalidOnNode1, shop(), node(0, labels(), nodeAddrs()), node(0, labels(kRole, vA), nodeAddrs())),
	}
}

// clusterSeedErrors start the errors of the invalid cluster seeds, in order.
var clusterSeedErrors = []string{
	`ClusterNetworkPolicy a: spec.egress[0].to[0].networks[0]: invalid CIDR "10.0.0.1/24": host bits set`,
	`ClusterNetworkPolicy a: spec.ingress[0].protocols[0].tcp.destinationPort.range: start 80`,
	`ClusterNetworkPolicy a: spec.tier: unsupported tier "Application"`,
	`ClusterNetworkPolicy a: spec.egress[0].to[0]: set exactly one of namespaces, pods`,
	`Node n1: listed twice`,
}

// TestClusterSeeds checks that the cluster seeds decode as their comments say: the valid ones (and their marked
// state) build, with ClusterNetworkPolicy rules on some group, and the invalid ones fail as intended.
func TestClusterSeeds(t *testing.T) {
	all := clusterSeeds()
	valid := len(all) - len(clusterSeedErrors)
	for i, s := range all {
		d := decode(s)
		clusters := []build.Cluster{d.cur}
		if d.prev != nil {
			clusters = append(clusters, *d.prev)
		}
		for j, c := range clusters {
			n, err := build.Node(c, d.node)
			if i >= valid {
				if want := clusterSeedErrors[i-valid]; err == nil || !strings.HasPrefix(err.Error(), want) {
					t.Errorf("seed %d: error %v, want one starting %q", i, err, want)
				}
				continue
			}
			if err != nil || d.maybeInvalid {
				t.Fatalf("seed %d: error %v (invalid values allowed: %v)", i, err, d.maybeInvalid)
			}
			if got := clusterShape(c); j == 0 && got != clusterSeedShapes[i] {
				t.Errorf("seed %d decodes as\n%s\nwant\n%s", i, got, clusterSeedShapes[i])
			}
			tiers := 0
			for _, g := range n.Groups {
				tiers += len(g.Admin) + len(g.Baseline)
			}
			if tiers == 0 {
				t.Errorf("seed %d: no group has ClusterNetworkPolicy rules\n%s", i, describe(c))
			}
		}
	}
}

// clusterShape summarizes the ClusterNetworkPolicies and Nodes of c: per policy its name, tier, priority and
// rules (action, peers/protocols), per node its name and number of addresses.
func clusterShape(c build.Cluster) string {
	var b strings.Builder
	rule := func(a cnp.ClusterNetworkPolicyRuleAction, peers, protos int) string {
		return fmt.Sprintf(" %s %d/%d", a, peers, protos)
	}
	for _, p := range c.ClusterPolicies {
		fmt.Fprintf(&b, "%s %s %d in[", p.Name, p.Spec.Tier, p.Spec.Priority)
		for _, r := range p.Spec.Ingress {
			b.WriteString(rule(r.Action, len(r.From), len(r.Protocols)))
		}
		b.WriteString(" ] eg[")
		for _, r := range p.Spec.Egress {
			b.WriteString(rule(r.Action, len(r.To), len(r.Protocols)))
		}
		b.WriteString(" ]\n")
	}
	for _, n := range c.Nodes {
		fmt.Fprintf(&b, "node %s %d\n", n.Name, len(n.Status.Addresses))
	}
	return b.String()
}

// clusterSeedShapes are what clusterShape says of the valid cluster seeds (the current state; the marked one of
// the last seed is only checked to build).
var clusterSeedShapes = []string{
	"a Admin 10 in[ Pass 1/1 Deny 1/0 ] eg[ Accept 1/2 ]\n" +
		"b Admin 10 in[ Accept 1/1 Pass 1/1 ] eg[ ]\n",
	"default Baseline 0 in[ ] eg[ Accept 1/1 Deny 1/0 Pass 1/1 Deny 2/2 ]\n" +
		"web Baseline 100 in[ Accept 1/2 Deny 1/0 ] eg[ Accept 1/0 ]\n" +
		"node n1 3\nnode n2 2\n",
	"c Admin 20 in[ ] eg[ Pass 1/2 Accept 1/1 Deny 1/0 Accept 1/0 ]\n" +
		"db Baseline 1000 in[ Pass 1/1 Deny 1/0 ] eg[ Deny 1/1 ]\n" +
		"web Admin 20 in[ Deny 1/1 ] eg[ ]\n",
	"b Baseline 0 in[ ] eg[ Deny 1/1 ]\n" +
		"c Admin 1000 in[ Pass 1/1 Accept 1/0 ] eg[ ]\n" +
		"node n1 2\n",
}

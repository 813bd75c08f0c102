package controllers

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnp "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/nftpolicy/nftpolicy/compiler"
	"github.com/nftpolicy/nftpolicy/compiler/ir"
)

// admitClients is an Admin policy: pods labelled app=web accept pods labelled role=client.
func admitClients(name string) *cnp.ClusterNetworkPolicy {
	return &cnp.ClusterNetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec: cnp.ClusterNetworkPolicySpec{
			Tier: cnp.AdminTier, Priority: 20,
			Subject: cnp.ClusterNetworkPolicySubject{Pods: &cnp.NamespacedPod{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}}},
			Ingress: []cnp.ClusterNetworkPolicyIngressRule{{Action: cnp.ClusterNetworkPolicyRuleActionAccept,
				From: []cnp.ClusterNetworkPolicyIngressPeer{{Pods: &cnp.NamespacedPod{
					PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"role": "client"}}}}}}},
		},
	}
}

// counted lists what a chain's counted rules count for, as "verdict tier policy,tier policy…", in rule order.
func counted(info chainInfo) []string {
	var pos []int
	for i := range info.Counted {
		pos = append(pos, i)
	}
	slices.Sort(pos)
	var out []string
	for _, i := range pos {
		c := info.Counted[i]
		var names []string
		for _, p := range c.For {
			names = append(names, cmp.Or(tierName(p.Tier), "NetworkPolicy")+" "+p.Policy.String())
		}
		out = append(out, c.Verdict+" "+strings.Join(names, ","))
	}
	return slices.Compact(out)
}

// TestIndexChainsAttributesTiers compiles a node with all three tiers and checks what the index says each chain
// and counted rule stands for: the deny chains log and count for their tier's denying policies, a tier's Accept
// lookups count for its accepting policies, the NetworkPolicy part for the isolating NetworkPolicies, and the
// default allow for every ClusterNetworkPolicy of the group. With --audit the deny chains log and count audited
// packets.
func TestIndexChainsAttributesTiers(t *testing.T) {
	objs := append(cluster(), denyClientsToWeb("deny-web"), admitClients("admit-clients"),
		node("node-b", "b", "192.0.2.2"), acceptToNodes("to-zone-b", "b"))
	n := irFor(t, objs)
	var web, client *ir.Group
	for i := range n.Groups {
		g := &n.Groups[i]
		switch {
		case g.Direction == ir.Ingress && g.Members[0].Pod.Name == "web":
			web = g
		case g.Direction == ir.Egress && g.Members[0].Pod.Name == "client-a":
			client = g
		}
	}
	if web == nil || client == nil {
		t.Fatalf("no ingress group of web or egress group of client-a in %+v", n.Groups)
	}
	for _, audit := range []bool{false, true} {
		opts := compiler.Options{Counters: true, Audit: audit, Log: compiler.LogOptions{Group: 100, Rate: 10, Burst: 5}}
		idx := indexChains(n, compiler.CompileWith(n, opts))
		drop := map[bool]string{false: verdictDrop, true: verdictAudit}[audit]
		for _, c := range []struct {
			chain    string
			tier     ir.Tier
			policies []ir.PolicyRef
			audit    bool
			counted  []string
		}{
			{chain: compiler.TierDenyChainName(client, ir.Admin), tier: ir.Admin,
				policies: []ir.PolicyRef{{Name: "deny-web"}}, audit: audit, counted: []string{drop + " Admin deny-web"}},
			// to-zone-b's Accept is folded into the default allow that follows it.
			{chain: compiler.GroupChainName(client), counted: []string{"allow Admin deny-web,Baseline to-zone-b"}},
			{chain: compiler.GroupChainName(web), policies: []ir.PolicyRef{{Namespace: "x", Name: "allow-client"}},
				audit: audit, counted: []string{"allow Admin admit-clients", "allow NetworkPolicy x/allow-client",
					drop + " NetworkPolicy x/allow-client"}},
		} {
			info, ok := idx[c.chain]
			if !ok {
				t.Errorf("audit %v: chain %s not indexed", audit, c.chain)
				continue
			}
			if info.Tier != c.tier || !slices.Equal(info.Policies, c.policies) || info.Audit != c.audit ||
				!slices.Equal(counted(info), c.counted) {
				t.Errorf("audit %v: chain %s: tier %v, policies %v, audit %v, counted %q; want %v, %v, %v, %q", audit,
					c.chain, info.Tier, info.Policies, info.Audit, counted(info), c.tier, c.policies, c.audit, c.counted)
			}
		}
		if _, ok := idx[compiler.TierDenyChainName(web, ir.Admin)]; ok {
			t.Errorf("audit %v: web's group has an Admin deny chain in the index, but no Deny rule", audit)
		}
	}
}

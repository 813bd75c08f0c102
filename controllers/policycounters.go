package controllers

import (
	"errors"
	"maps"
	"slices"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nftpolicy/nftpolicy/compiler/ir"
	"github.com/nftpolicy/nftpolicy/nft/kernel"
)

// counterReader is a dataplane that can read its rules' counters (*kernel.Conn).
type counterReader interface {
	Counters() ([]kernel.RuleCounter, error)
}

// policyCounters exports the kernel's rule counters per policy at every scrape: the packets and bytes the group
// chains of the applied table let through ("allow") and dropped ("drop"), added up over the chains each policy
// isolates pods of. A chain stands for the union of its policies, so a packet counts for every policy of the
// chain that passed or dropped it: "allowed while isolated by P", not "allowed by P's own rule". Likewise a
// ClusterNetworkPolicy tier's lookups and deny chain, and the default allow after the tiers, count for the
// ClusterNetworkPolicies they stand for (indexChains), in metrics of their own: nftpolicy_cluster_policy_*_total
// {policy, tier, direction, verdict}, so that the NetworkPolicy series stay exactly what they were. The label
// sets are bounded by the policies that select a pod of this node × 2 directions × 3 verdicts.
type policyCounters struct {
	dp      counterReader
	chains  *atomic.Pointer[chainIndex]
	packets *prometheus.Desc
	bytes   *prometheus.Desc
	// clusterPackets and clusterBytes are those of ClusterNetworkPolicies.
	clusterPackets *prometheus.Desc
	clusterBytes   *prometheus.Desc
	errors         prometheus.Counter
}

func newPolicyCounters(dp counterReader, chains *atomic.Pointer[chainIndex]) *policyCounters {
	labels := []string{"namespace", "policy", "direction", "verdict"}
	clusterLabels := []string{"policy", "tier", "direction", "verdict"}
	return &policyCounters{
		dp:     dp,
		chains: chains,
		packets: prometheus.NewDesc("nftpolicy_policy_packets_total",
			"Packets of new connections that the rules of a policy's pods let through (verdict allow) or dropped "+
				"(verdict drop), from the kernel's counters; reset when a chain is rewritten.", labels, nil),
		bytes: prometheus.NewDesc("nftpolicy_policy_bytes_total",
			"Bytes of the packets counted by nftpolicy_policy_packets_total.", labels, nil),
		clusterPackets: prometheus.NewDesc("nftpolicy_cluster_policy_packets_total",
			"Packets of new connections that a ClusterNetworkPolicy's tier dropped (verdict drop; audit with "+
				"--audit) or let through (verdict allow) for its subject pods, from the kernel's counters; reset when "+
				"a chain is rewritten.", clusterLabels, nil),
		clusterBytes: prometheus.NewDesc("nftpolicy_cluster_policy_bytes_total",
			"Bytes of the packets counted by nftpolicy_cluster_policy_packets_total.", clusterLabels, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{Name: "nftpolicy_counter_read_errors_total",
			Help: "Scrapes that could not read the kernel's counters."}),
	}
}

// register adds c to reg, replacing a collector of an earlier agent in the same process.
func (c *policyCounters) register(reg prometheus.Registerer) error {
	for _, col := range []prometheus.Collector{c, c.errors} {
		err := reg.Register(col)
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			reg.Unregister(already.ExistingCollector)
			err = reg.Register(col)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *policyCounters) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.packets
	ch <- c.bytes
	ch <- c.clusterPackets
	ch <- c.clusterBytes
}

type counterKey struct {
	policy    ir.PolicyRef
	tier      ir.Tier // 0: NetworkPolicy
	direction string
	verdict   string
}

type counterSums struct{ packets, bytes uint64 }

// Collect exports the sums at a scrape; a failed read counts in nftpolicy_counter_read_errors_total.
func (c *policyCounters) Collect(ch chan<- prometheus.Metric) {
	total, err := c.sum()
	if err != nil {
		c.errors.Inc()
		return
	}
	for k, s := range total {
		packets, bytes := c.packets, c.bytes
		labels := []string{k.policy.Namespace, k.policy.Name, k.direction, k.verdict}
		if k.tier != 0 {
			packets, bytes = c.clusterPackets, c.clusterBytes
			labels = []string{k.policy.Name, tierName(k.tier), k.direction, k.verdict}
		}
		ch <- prometheus.MustNewConstMetric(packets, prometheus.CounterValue, float64(s.packets), labels...)
		ch <- prometheus.MustNewConstMetric(bytes, prometheus.CounterValue, float64(s.bytes), labels...)
	}
}

// policyCount is the packets the rules of a policy's pods let through, dropped, and let through only because of
// audit mode, in one direction, for the node's status (busiestPolicies).
type policyCount struct {
	policy                    ir.PolicyRef
	tier                      ir.Tier // 0: NetworkPolicy
	direction                 string
	allowed, dropped, audited uint64
}

// counts reads the kernel's counters now, as Collect does, with the verdicts of a policy and direction side by
// side; in no particular order.
func (c *policyCounters) counts() ([]policyCount, error) {
	total, err := c.sum()
	if err != nil {
		return nil, err
	}
	type key struct {
		policy    ir.PolicyRef
		tier      ir.Tier
		direction string
	}
	byPolicy := map[key]policyCount{}
	for k, s := range total {
		pk := key{k.policy, k.tier, k.direction}
		pc := byPolicy[pk]
		pc.policy, pc.tier, pc.direction = k.policy, k.tier, k.direction
		switch k.verdict {
		case verdictAllow:
			pc.allowed += s.packets
		case verdictDrop:
			pc.dropped += s.packets
		case verdictAudit:
			pc.audited += s.packets
		}
		byPolicy[pk] = pc
	}
	return slices.Collect(maps.Values(byPolicy)), nil
}

// sum reads the kernel's rule counters and adds them up per policy, tier, direction and verdict over the chains
// of the table in force: each counted rule's packets count for every policy it stands for (countedRule). Nil
// before the first table is applied.
func (c *policyCounters) sum() (map[counterKey]counterSums, error) {
	idx := c.chains.Load()
	if idx == nil {
		return nil, nil
	}
	counters, err := c.dp.Counters()
	if err != nil {
		return nil, err // names the table and the step
	}
	total := map[counterKey]counterSums{}
	for _, rc := range counters {
		info, ok := (*idx)[rc.Chain]
		if !ok {
			continue
		}
		c, ok := info.Counted[rc.Rule]
		if !ok {
			continue
		}
		for _, p := range c.For {
			k := counterKey{p.Policy, p.Tier, info.Direction.String(), c.Verdict}
			s := total[k]
			s.packets += rc.Packets
			s.bytes += rc.Bytes
			total[k] = s
		}
	}
	return total, nil
}

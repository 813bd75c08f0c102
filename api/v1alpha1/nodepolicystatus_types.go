package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// NodePolicyStatus is what the nftpolicy agent of one node enforces there: one object per node, named after the
// node, cluster-scoped, written only by that node's agent. `kubectl get nodepolicystatuses` (short: nps) shows
// enforcement across nodes at a glance.
//
// The agent creates the object (empty spec) and then writes everything through the status subresource. A node
// that leaves the cluster leaves its object behind unless the agent set an owner reference to its Node; delete it
// with `kubectl delete nodepolicystatus NAME`.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=nps,categories=nftpolicy
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Synced",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].status`
// +kubebuilder:printcolumn:name="Policies",type=integer,JSONPath=`.status.policyCount`
// +kubebuilder:printcolumn:name="Pods",type=integer,JSONPath=`.status.podCount`
// +kubebuilder:printcolumn:name="Elements",type=integer,JSONPath=`.status.ruleset.elements`
// +kubebuilder:printcolumn:name="Last Sync",type=date,JSONPath=`.status.lastSyncTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Error",type=string,JSONPath=`.status.conditions[?(@.type=="Synced")].message`
// +kubebuilder:printcolumn:name="Unenforceable",type=integer,JSONPath=`.status.unenforceablePolicyCount`,priority=1
// +kubebuilder:printcolumn:name="Hash",type=string,JSONPath=`.status.ruleset.hash`,priority=1
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.status.agentVersion`,priority=1
type NodePolicyStatus struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is empty: the object describes the node it is named after, and everything else is observed state.
	// +optional
	Spec NodePolicyStatusSpec `json:"spec,omitempty,omitzero"`

	// status is written by the node's agent after every sync, successful or not.
	// +optional
	Status NodePolicyStatusStatus `json:"status,omitempty,omitzero"`
}

// NodePolicyStatusSpec is empty; it exists so that the object has the usual shape and can grow a setting later.
type NodePolicyStatusSpec struct{}

// NodePolicyStatusStatus is the enforcement state of one node.
type NodePolicyStatusStatus struct {
	// agentVersion is the version of the agent that wrote this status.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	AgentVersion string `json:"agentVersion,omitempty"`

	// ruleset describes the nftables table `inet nftpolicy` the last successful sync left in the kernel.
	// +optional
	Ruleset RulesetSummary `json:"ruleset,omitempty,omitzero"`

	// policyCount is the number of policies that select at least one pod of this node: NetworkPolicies, and
	// ClusterNetworkPolicies with rules for such a pod.
	// +optional
	// +kubebuilder:validation:Minimum=0
	PolicyCount int32 `json:"policyCount,omitempty"`

	// policies names those policies, sorted by namespace and name (ClusterNetworkPolicies, which have no
	// namespace, first), at most 100 of them: when policyCount is larger, the list is cut.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	Policies []ObjectRef `json:"policies,omitempty"`

	// podCount is the number of pods of this node that at least one policy selects, for ingress, egress or
	// both: isolated by a NetworkPolicy, or a subject of a ClusterNetworkPolicy with rules in that direction.
	// +optional
	// +kubebuilder:validation:Minimum=0
	PodCount int32 `json:"podCount,omitempty"`

	// pods names those pods, sorted by namespace and name, at most 100 of them: when podCount is larger, the
	// list is cut.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	Pods []ObjectRef `json:"pods,omitempty"`

	// unenforceablePolicyCount is the number of policies the agent does not enforce as written (each also gets a
	// Warning Event): NetworkPolicies and ClusterNetworkPolicies it sets aside because it cannot enforce them, and
	// ClusterNetworkPolicies it enforces but for some fields (partial). All other policies stay enforced.
	// +optional
	// +kubebuilder:validation:Minimum=0
	UnenforceablePolicyCount int32 `json:"unenforceablePolicyCount,omitempty"`

	// unenforceablePolicies names those policies and why, sorted by namespace and name (ClusterNetworkPolicies
	// first), at most 100 of them.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=100
	UnenforceablePolicies []UnenforceablePolicy `json:"unenforceablePolicies,omitempty"`

	// lastSyncTime is when the last successful sync finished: from then on the kernel held the ruleset
	// described here.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// lastSyncDuration is how long that sync took, from reading the cache to the kernel's answer.
	// +optional
	LastSyncDuration *metav1.Duration `json:"lastSyncDuration,omitempty"`

	// lastError is the most recent failed sync. It stays after later successes, so that what last went wrong
	// remains visible; the Synced condition says whether it still applies.
	// +optional
	LastError *SyncError `json:"lastError,omitempty"`

	// recentDrops are the last packets the node's ruleset dropped (or, in audit mode, would have dropped),
	// newest first, at most 20, as the agent read them from the kernel's log (NFLOG, rate-limited per chain: not
	// every drop is logged). The agent refreshes
	// them (and busiestPolicies) at most every 10 seconds. A restarted agent keeps the previous run's until it
	// sees a drop of its own.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=20
	RecentDrops []DropRecord `json:"recentDrops,omitempty"`

	// busiestPolicies are the policies of this node whose pods' rules dropped the most packets, then would have
	// dropped the most (audit mode), then let through the most, per direction, at most 10: the kernel's rule
	// counters, since each chain was last written. Policies that counted nothing are left out.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	BusiestPolicies []PolicyCounts `json:"busiestPolicies,omitempty"`

	// conditions: Synced is True when the last sync attempt put the desired ruleset in the kernel (message
	// empty), False when it failed (reason and message say why; the previous ruleset stays in force).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +patchStrategy=merge
	// +patchMergeKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty" patchStrategy:"merge" patchMergeKey:"type"`
}

// RulesetSummary sizes the table `inet nftpolicy` and identifies its content.
type RulesetSummary struct {
	// hash is "sha256:" and the hex SHA-256 of the table as nft text (what `kubectl nftpolicy render` prints
	// for this node): two nodes with the same hash enforce the same rules.
	// +optional
	// +kubebuilder:validation:MaxLength=71
	Hash string `json:"hash,omitempty"`

	// chains is the number of chains in the table, base chains included.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Chains int32 `json:"chains,omitempty"`

	// rules is the number of rules over all chains.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Rules int32 `json:"rules,omitempty"`

	// sets is the number of sets and maps.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Sets int32 `json:"sets,omitempty"`

	// elements is the number of elements over all sets and maps.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Elements int32 `json:"elements,omitempty"`
}

// ObjectRef names an object: a namespaced one (a Pod, a NetworkPolicy) or a ClusterNetworkPolicy, which has no
// namespace.
type ObjectRef struct {
	// namespace of the object; absent for a ClusterNetworkPolicy (cluster-scoped).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// name of the object.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// UnenforceablePolicy is a policy the agent does not enforce as written, and why.
type UnenforceablePolicy struct {
	ObjectRef `json:",inline"`

	// reason says what in the policy cannot be enforced.
	// +required
	// +kubebuilder:validation:MaxLength=1024
	Reason string `json:"reason"`

	// partial is true for a ClusterNetworkPolicy the agent enforces but for the fields reason names (domainNames,
	// or fields of a newer API), which match nothing in an Accept rule and everything in a Deny or Pass rule.
	// Absent: the policy is set aside whole.
	// +optional
	Partial bool `json:"partial,omitempty"`
}

// SyncError is one failed sync.
type SyncError struct {
	// message is the error, naming the object or step that failed.
	// +required
	// +kubebuilder:validation:MaxLength=4096
	Message string `json:"message"`

	// time is when the sync failed.
	// +required
	Time metav1.Time `json:"time"`
}

// DropRecord is one packet the node's ruleset dropped: a new connection (or its retry) that no rule allows.
type DropRecord struct {
	// time is when the agent read the drop from the kernel's log.
	// +required
	Time metav1.Time `json:"time"`

	// direction is ingress when the destination pod is isolated and none of its policies admits the packet,
	// egress when the source pod is and none lets it out; or the direction of the ClusterNetworkPolicy rule
	// that denied it (tier).
	// +required
	// +kubebuilder:validation:Enum=ingress;egress
	Direction string `json:"direction"`

	// src is the source pod as "namespace/name", or its address when no pod of the cluster has it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	Src string `json:"src"`

	// dst is the destination pod as "namespace/name", or its address when no pod of the cluster has it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=317
	Dst string `json:"dst"`

	// srcIP is the source address.
	// +required
	// +kubebuilder:validation:MaxLength=64
	SrcIP string `json:"srcIP"`

	// dstIP is the destination address.
	// +required
	// +kubebuilder:validation:MaxLength=64
	DstIP string `json:"dstIP"`

	// protocol is tcp, udp, sctp, icmp, icmpv6, or the IP protocol number.
	// +required
	// +kubebuilder:validation:MaxLength=16
	Protocol string `json:"protocol"`

	// port is the destination port; absent for a protocol without ports.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// tier is Admin or Baseline when a Deny rule of a ClusterNetworkPolicy of that tier dropped the packet;
	// absent when NetworkPolicy isolation did.
	// +optional
	// +kubebuilder:validation:Enum=Admin;Baseline
	Tier string `json:"tier,omitempty"`

	// policies ("namespace/name") isolate the pod in that direction; none of their rules allows the packet.
	// With a tier, they are the names of the pod's ClusterNetworkPolicies of that tier with Deny rules, one of
	// which denied the packet. At most 10: a longer list is cut.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=317
	Policies []string `json:"policies,omitempty"`

	// audit is true when the pod's namespace (or the cluster) is in audit mode: the packet was let through, and
	// is listed because it would have been dropped.
	// +optional
	Audit bool `json:"audit,omitempty"`
}

// PolicyCounts are the packets of new connections that the rules of a policy's pods let through and dropped on
// this node, in one direction. A group chain stands for all the policies isolating its pods, so a packet counts
// for each of them: "allowed while isolated by this policy", not "allowed by this policy's own rule". For a
// ClusterNetworkPolicy (no namespace, a tier), the packets its tier's Accept rules let through and its Deny rules
// dropped, counting for every policy of the tier with such rules for those pods.
type PolicyCounts struct {
	ObjectRef `json:",inline"`

	// tier is Admin or Baseline for a ClusterNetworkPolicy; absent for a NetworkPolicy.
	// +optional
	// +kubebuilder:validation:Enum=Admin;Baseline
	Tier string `json:"tier,omitempty"`

	// direction is ingress or egress: the rules of the policy's pods for that direction.
	// +required
	// +kubebuilder:validation:Enum=ingress;egress
	Direction string `json:"direction"`

	// allowedPackets is the number of packets those rules let through.
	// +required
	// +kubebuilder:validation:Minimum=0
	AllowedPackets int64 `json:"allowedPackets"`

	// droppedPackets is the number of packets those rules dropped.
	// +required
	// +kubebuilder:validation:Minimum=0
	DroppedPackets int64 `json:"droppedPackets"`

	// auditedPackets is the number of packets no rule allowed that audit mode let through: those that would
	// have been dropped.
	// +optional
	// +kubebuilder:validation:Minimum=0
	AuditedPackets int64 `json:"auditedPackets,omitempty"`
}

// NodePolicyStatusList is a list of NodePolicyStatus.
//
// +kubebuilder:object:root=true
type NodePolicyStatusList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []NodePolicyStatus `json:"items"`
}

func init() {
	SchemeBuilder.Register(&NodePolicyStatus{}, &NodePolicyStatusList{})
}

// Package conntrack lists and deletes connection-tracking entries in one
// network namespace, for strict mode: when a NetworkPolicy change denies a
// flow that conntrack already holds as established, the ruleset's first rule
// (ct state established,related accept) would keep letting it through, so the
// agent deletes the entry and the flow's next packet has to pass the policy
// rules again.
//
// It speaks ctnetlink directly: a NETLINK_NETFILTER socket (opened inside the
// namespace through github.com/mdlayher/netlink) carrying messages of the
// NFNL_SUBSYS_CTNETLINK subsystem. Flows dumps the table for both address
// families (IPCTNL_MSG_CT_GET with NLM_F_DUMP, family AF_UNSPEC), retrying a
// dump the kernel marks as interrupted; Delete sends one IPCTNL_MSG_CT_DELETE
// per flow, keyed by its original tuple and zone, many to a sendmsg, and
// matches each acknowledgement to its flow by sequence number. An entry that
// is already gone (ENOENT) is not an error.
//
// What it does not do: it does not decide which flows are denied (the agent
// does), it does not create, update or watch entries (no events, no
// expectations, no counters), it does not filter dumps in the kernel (the
// table is read whole), and it does not touch nftables or sysctls. Deleting
// an entry cuts the established fast path only; whether the flow's next
// packet is dropped is up to the ruleset (see the tests for what the kernel
// does with a mid-stream TCP packet that finds no entry).
package conntrack

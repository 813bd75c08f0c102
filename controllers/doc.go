// Package controllers is the agent: one controller-runtime manager per node that keeps table inet nftpolicy in
// that node's network namespace in step with the cluster's NetworkPolicies, Pods and Namespaces, and its
// ClusterNetworkPolicies and Nodes when the API server serves ClusterNetworkPolicy (clusterPolicies asks
// discovery, at start and every few minutes).
//
// New builds the manager. Its cache keeps only what the IR builder reads (transform functions strip Pods to
// their addresses, labels, node, phase and ports; Namespaces to name and labels; Nodes to labels and addresses),
// since every agent watches every pod and node of the cluster. Every relevant watch event enqueues one fixed key, so a burst of events becomes one sync:
// list everything from the cache, set aside the policies that cannot be enforced (each gets a Kubernetes Event,
// once per generation, as does a ClusterNetworkPolicy enforced but for some fields), build the node's IR,
// compile it and hand the desired table to the Dataplane, which applies the difference in one atomic batch. One
// worker: syncs never overlap.
//
// Lifecycle (DESIGN §4):
//
//   - Nothing is written to the kernel before every informer has synced: a table left by a previous run keeps
//     being enforced untouched until then, and the first sync replaces it in one batch (the kernel layer reads
//     what is there and applies only the difference). The controller waits for its caches without a time limit:
//     with the API server unreachable at start, the agent keeps the old table and stays not ready (the kinds it
//     watches are mapped without discovery, so the manager can be built without the API server). A pass that
//     runs anyway before the caches synced (controller-runtime starts the workers of a controller stopped while
//     waiting) or while stopping writes nothing.
//   - After any failure the next attempt, retried with exponential backoff (100 ms to 30 s), is a full resync:
//     it reads the kernel's table first and diffs against that, not against what it believed it had applied.
//   - Every verify interval (default 30 s) the agent reads the table back and compares it with what it
//     applied; a deleted or edited table is restored and counted (nftpolicy_tamper_repairs_total).
//   - API server unreachable: the ruleset stays as it is (nothing is flushed), and /readyz fails once a
//     watch or list has been failing for APIUnreachableAfter (default 30 s). See APIHealth for how that is
//     detected. When the server comes back the informers catch up and the next sync converges.
//
// It is not the compiler (package compiler) nor the netlink layer (package nft/kernel): it only decides when to
// sync and what to sync from, and reports what happened (metrics, logs, Events, readiness).
package controllers

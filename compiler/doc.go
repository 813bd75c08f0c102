// Package compiler turns the IR of one node into the desired content of `table inet nftpolicy`.
//
// It is a pure function: no kernel, no API server, no clocks. The same IR gives the same table, byte for byte
// once rendered. The shape it produces (see docs/ruleset.md):
//
//   - one base chain, forward, that accepts established and related traffic and IPv6 neighbour discovery,
//     then dispatches by verdict maps keyed by local pod address: egress by source, ingress by destination;
//   - one regular chain per group of pods isolated by the same policies, holding at most four set lookups per
//     address family — exact peers, peer CIDRs, exact peer.protocol.port, and ranges of those — so per-packet
//     work does not grow with the number of pods or policies;
//   - for a group with ClusterNetworkPolicy rules, the Admin tier's lookups before the NetworkPolicy part and
//     the Baseline tier's after it (only where NetworkPolicy does not isolate): each tier's ordered rules are
//     painted first-match at compile time (paint.go) into disjoint Deny and Accept points, emitted as the
//     same four set shapes per action, so the lookups of a tier are bounded too (tiers.go);
//   - chain and set names derived from the group's key (its policies), so a peer IP change is a set-element
//     update, not a new chain.
//
// It is not the place for Kubernetes semantics (package build resolves selectors and named ports) nor for
// talking to the kernel (package nft/kernel).
package compiler

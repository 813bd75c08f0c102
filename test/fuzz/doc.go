// Package fuzz holds FuzzBuildCompile, a fuzz target over the IR builder (compiler/build), the compiler and the
// kernel layer (nft/kernel).
//
// The fuzz input is a stream of operations (decode_test.go): add a namespace, a pod, a container port, a
// NetworkPolicy, an ingress or egress rule, a peer, a port; add a ClusterNetworkPolicy, an ingress or egress rule
// of it, a peer, a protocols entry (cluster_test.go, clusterports_test.go); add a Node (nodes_test.go); mark the
// cluster so far as the previous state; delete or relabel an object. Names reach the Kubernetes limits (253 bytes,
// 63 for namespaces and label values), label sets reach a thousand entries, pods have IPv4 and IPv6 addresses,
// phases, hostNetwork and named container ports, policies have pod and namespace selectors with matchExpressions,
// ipBlocks with excepts, numeric, named and ranged ports of TCP, UDP and SCTP, and every policyTypes.
// ClusterNetworkPolicies are Admin or Baseline with priorities from a small pool (ties are frequent), namespaces or
// pods subjects, Accept, Deny and Pass rules whose peers are namespaces, pods, networks, nodes, domainNames or a
// peer of a newer API (none of the fields known), and whose protocols are TCP, UDP or SCTP numbers and ranges,
// named ports or an entry of a newer API. Nodes have labels and InternalIP, ExternalIP, Hostname and InternalDNS
// addresses, IPv4 and IPv6 from the pods' space, names and unparsable ones. The first byte picks the node and
// whether invalid values may appear: bad CIDRs (networks with host bits too), selectors, ports, addresses, tiers,
// priorities, actions, subjects, ranges with start >= end, peers with two fields or none, duplicate objects.
//
// For every input (fuzz_test.go, check_test.go):
//
//   - build.Node does not panic. It fails only when the input holds an invalid value, and then with an error that
//     names the object (a *build.FieldError of a listed NetworkPolicy or ClusterNetworkPolicy, or "Pod ns/name:
//     ...", "Namespace name: ...", "ClusterNetworkPolicy name: ...", "Node name: ...").
//   - The objects in reverse order give the same IR or the same error (each list reversed; a ClusterNetworkPolicy's
//     rules keep their order, which is their precedence), and a build.Builder that first built the marked state
//     gives the same IR as build.Node (an error exactly when Node fails).
//   - compiler.Compile does not panic; set and chain names are at most 64 bytes and are names the compiler gives,
//     comments at most 127, every lookup, jump and goto has its target, set elements are sorted, a set's key fits
//     its shape and a tier's sets only have the shapes that tier and action may emit. No chain looks a set up
//     twice, and each stays within the bounds chains_test.go derives from the compiler: 8 NetworkPolicy lookups,
//     20 Admin (4 of them pass conflicts), 12 Baseline, 29 rules in a group chain. The same input decoded twice
//     renders byte-identical text.
//   - In one network namespace per fuzz process (internal/netnstest, deleted at the end): from the table of an
//     empty cluster (the first input creates it), the marked state (if any) is synced, then the full one — each
//     an incremental batch — and after each sync the table read back has an empty plan against the compiled one.
//     The kernel accepting every batch is the check that the ruleset is valid. One input in 64 (by checksum) also
//     loads its rendered text with `nft -f`, which must read back as the same table; so does every seed
//     (TestSeedsLoadWithNft).
//
// The seeds (seeds_test.go and testdata/fuzz/FuzzBuildCompile) run with `go test ./...`; `make fuzz` fuzzes for
// FUZZTIME (default 60s) and `make test` for 20 s. It needs root (network namespaces) and fails, never skips,
// without it. A worker that crashes may leave a namespace nftp-fz-*: `make clean-netns` removes it.
package fuzz

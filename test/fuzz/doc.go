// Package fuzz holds FuzzBuildCompile, a fuzz target over the IR builder (compiler/build), the compiler and the
// kernel layer (nft/kernel).
//
// The fuzz input is a stream of operations (decode_test.go): add a namespace, a pod, a container port, a
// NetworkPolicy, an ingress or egress rule, a peer, a port; mark the cluster so far as the previous state; delete or
// relabel an object. Names reach the Kubernetes limits (253 bytes, 63 for namespaces and label values), label sets
// reach a thousand entries, pods have IPv4 and IPv6 addresses, phases, hostNetwork and named container ports,
// policies have pod and namespace selectors with matchExpressions, ipBlocks with excepts, numeric, named and ranged
// ports of TCP, UDP and SCTP, and every policyTypes. The first byte picks the node and whether invalid values
// (bad CIDRs, selectors, ports, addresses, duplicate objects) may appear.
//
// For every input (fuzz_test.go, check_test.go):
//
//   - build.Node does not panic. It fails only when the input holds an invalid value, and then with an error that
//     names the object (a *build.FieldError of a listed policy, or "Pod ns/name: ...", "Namespace name: ...").
//   - The objects in reverse order give the same IR or the same error, and a build.Builder that first built the
//     marked state gives the same IR as build.Node (an error exactly when Node fails).
//   - compiler.Compile does not panic; set and chain names are at most 64 bytes, comments at most 127, every
//     lookup and jump has its target, set elements are sorted. The same input decoded twice renders byte-identical
//     text.
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

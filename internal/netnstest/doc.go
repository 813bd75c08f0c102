// Package netnstest gives tests a network namespace of their own.
//
// New creates a uniquely named namespace (nftp-<prefix>-<8 hex>) with
// `ip netns add` and deletes it in t.Cleanup, also when the test fails; Exec
// runs a command inside it via `ip netns exec`. Both refuse any namespace
// whose name does not start with "nftp-", so nothing a test runs through them
// can land in the machine's own (root) network namespace. Creating a
// namespace needs root: New fails the test (it never skips) when not root,
// since CI runs as root and a skipped kernel test would pass unnoticed.
//
// For whole fake clusters of namespaces (nodes, pods, probes) see
// test/harness; this package is for tests that need one empty namespace to
// program nftables in.
package netnstest

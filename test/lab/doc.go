// Package lab runs the upstream NetworkPolicy suite (test/e2e's cases and truth tables) through `nftpolicy lab
// --once -o json`, as scenarios with the model's addresses, and checks every observed verdict against the truth
// tables; and it runs examples/clusternetworkpolicy in the lab, once and live, against verdicts written by hand
// from the ClusterNetworkPolicy API. It is a package of its own so that `go test ./...` runs it beside test/e2e
// rather than after it.
package lab

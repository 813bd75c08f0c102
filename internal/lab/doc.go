// Package lab is `nftpolicy lab`: a one-machine cluster in which the real agent enforces NetworkPolicy and
// ClusterNetworkPolicy with real packets. It starts an API server (envtest's kube-apiserver and etcd, built by hack/envtest/build.sh on first
// use), one lab node (a network namespace made by internal/labnet), a network namespace per Pod with listeners on
// its container ports, and the agent of controllers, programming the lab node's namespace through netlink exactly
// as `nftpolicy agent` does on a real node.
//
// The lab plays the parts of the cluster that are missing: scheduler and kubelet. Every Pod it finds in the API
// server is bound to the lab node, gets a network namespace and an address (status.podIPs from the manifest, or
// the next free one of the pod CIDRs) and a Running status. It then waits until the agent has applied the ruleset
// that the objects in the API server call for, probes every ordered pair of endpoints (pods and external hosts)
// on the destination's ports, and sets each observed verdict beside the one compiler/eval expects.
//
// Two modes: live (the default) shows the matrix and re-probes after every change made through the kubeconfig it
// writes; --once applies each -f scenario in turn, prints the probes (text or JSON lines) and exits 1 when an
// observed verdict differs from the expected one. Everything it makes is removed on exit; `nftpolicy lab
// --cleanup` removes what a crashed run left (see internal/labnet.Cleanup). Decisions are in docs/lab.md.
package lab

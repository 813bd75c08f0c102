// Package harness builds a fake Kubernetes cluster out of Linux network
// namespaces on the test machine and probes it with real packets, so that the
// nftables rulesets nftpolicy generates can be checked against a real kernel.
//
// Every namespace it creates is named nftp-<6 hex>-..., is created with
// `ip netns add` and is deleted in t.Cleanup, also when the test fails
// (hack/cleanup-netns.sh removes the ones a crashed run left behind). The
// harness never changes the machine's own (root) network namespace: veth pairs
// are created inside namespaces it owns and sysctls are written from a thread
// that has entered the target namespace.
//
// # IP plan
//
// Node i (0-based, in Config.Nodes order):
//
//	pod CIDR        10.244.i.0/24            fd00:10:244:i::/64
//	gateway         10.244.i.1               fd00:10:244:i::1     (bridge topology, on br0)
//	pods            10.244.i.10, .11, ...    fd00:10:244:i::10, ::11, ...
//	fabric address  10.0.0.(i+1)/24          fd00:10::(i+1)/64    (dev fab0; Cluster.NodeIPs)
//
// The IPv6 pod address repeats the decimal digits of the IPv4 host part
// (10.244.0.12 <-> fd00:10:244:0::12). Pods without an IP (PodSpec.NoIP) do
// not use up an address. Every node routes each other node's pod CIDRs via
// that node's fabric address; the fabric namespace (nftp-<id>-fab) holds a
// plain bridge br0 with one veth per node.
//
// # Namespaces and interfaces
//
//	nftp-<id>-fab        br0 (bridge, no netfilter), n<i> (veth to node i)
//	nftp-<id>-n<i>       node i: fab0, lo, veth<k> (one per pod), br0 (bridge topology)
//	nftp-<id>-n<i>p<k>   pod k of node i: lo, eth0
//
// Bridge topology (like the bridge/flannel CNIs): veth<k> is a port of br0,
// which carries the gateway addresses; the pod's eth0 has a /24 and a /64
// with default routes via the gateways. br_netfilter is switched on in the
// node namespace (net.bridge.bridge-nf-call-ip{,6}tables=1), so traffic
// between pods of one node is bridged and still passes the inet forward hook.
// Traffic the node itself sends to its pods has the gateway as source.
//
// Routed topology (like Calico or ptp): the pod's eth0 has a /32 and a /128,
// an on-link route to 169.254.1.1 and default routes via 169.254.1.1 and
// fe80::1. On the node side every veth<k> has 169.254.1.1/32 scope link and
// fe80::1/64 (no global address, no proxy ARP needed) and the node routes
// <pod IP>/32 (with src = the node's fabric IPv4) and /128 to veth<k>, so
// traffic the node itself sends to its pods has the node's fabric address as
// source in both families.
//
// Nodes have ip_forward and IPv6 forwarding on; DAD is off in every
// namespace; rp_filter is off; the bridges have multicast snooping off.
//
// # Probes
//
// The namespace primitives (creation, iproute2 batches, setns, sysctls,
// listeners, probes, the raw SCTP machinery) live in internal/netns, shared
// with the lab (internal/labnet).
//
// Listeners and probes run in the test process: a socket is created on a
// locked OS thread that has entered the namespace (setns) and is then used
// from anywhere. TCP probes connect, UDP probes get a nonce echoed, and SCTP
// probes (the kernel has no SCTP sockets) send one INIT packet from a raw IP
// socket that a raw socket in the destination pod must see (the CRC32c is
// correct, so conntrack in the nodes does not call these packets invalid).
//
// New ends by probing every pod from every other pod on every container port
// the destination declares (TCP, UDP and SCTP, each family, in parallel) with
// no ruleset loaded, so that a probe expected to be blocked can never pass
// because its listener is missing; probes that fail are retried twice, and
// any still failing fail the test with a dump of addresses, routes and
// neighbours.
//
// # Beyond pod IPs
//
// PodLinkLocal returns a pod's eth0 fe80:: address (read once after setup)
// and ProbeAddr probes any address from a pod, link-local ones with zone
// "eth0". ProbeBroadcast (bridge topology, IPv4) sends a nonce from one pod
// to its node's pod-subnet broadcast address with SO_BROADCAST and tells
// whether another pod's UDP listener saw it (they are bound to the wildcard
// address and record every nonce). AddService programs a ClusterIP-like
// Service in a node (its own tables ip/ip6 nftp-svc: DNAT at prerouting and
// output, masquerade at postrouting when a backend calls itself, hairpin on
// its bridge port), so ProbeAddr from the backend to the VIP is the hairpin
// case.
package harness

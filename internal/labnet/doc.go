// Package labnet is the network of `nftpolicy lab`: one Kubernetes node with
// its pods and some hosts outside the cluster, made of Linux network
// namespaces on this machine, probed with real packets. The agent programs
// nftables in the node's namespace (Net.NodeNetnsPath); pods and externals
// are added and removed while the lab runs.
//
// It uses the primitives of internal/netns, like the static multi-node test
// harness (test/harness), and never touches the machine's own (root)
// network namespace: veth pairs are created inside namespaces it owns,
// sysctls are written from a thread that has entered the target namespace.
//
// # Namespaces and interfaces
//
// A lab's id is nftp-lab-<6 hex>; every namespace name starts with it:
//
//	<id>-node   the node: lo, lab0 + lab0p, br0 (bridge topology), p<k>, x<k>
//	<id>-p<k>   pod k (k counts up, never reused): lo, eth0
//	<id>-x<k>   external host k: lo, eth0
//
// p<k> and x<k> are the node ends of the veth pairs whose other ends are the
// eth0 of pod k and external k.
//
// # IP plan
//
// The node's own addresses (NodeIPs, the pods' status.hostIP) are
// 172.31.255.1/32 and fd00:31:255::1/128 on lab0. lab0 is one end of a veth
// pair whose other end, lab0p, also stays in the node: a dummy device would
// do, but not every kernel has the dummy driver. Pods reach these addresses
// through their gateway. The pod and external addresses are the caller's;
// none may be one of these two, loopback, link-local, multicast or
// unspecified.
//
// Bridge topology (like the bridge/flannel CNIs): a pod address's subnet is
// the /24 (IPv4) or /64 (IPv6) that contains it. The first pod of a subnet
// gives br0 that subnet's gateway, the network address + 1 (x.y.z.1/24,
// prefix::1/64), removed again with the subnet's last pod. The pod's eth0
// has IP/24 (IP/64) and default routes via the gateways; its veth is a port
// of br0. A pod address that is its subnet's network, gateway or (IPv4)
// broadcast address, or that is in use, is refused. Pods of one subnet are
// bridged, and br_netfilter (net.bridge.bridge-nf-call-ip{,6}tables=1 in the
// node) makes that traffic pass the inet forward hook; pods of different
// subnets are routed by the node.
//
// Routed topology (like Calico or ptp), and external hosts in both
// topologies: eth0 has IP/32 (/128), an on-link route to 169.254.1.1 and
// default routes via 169.254.1.1 and fe80::1. The node end has
// 169.254.1.1/32 scope link and fe80::1/64, and the node routes IP/32 (with
// source 172.31.255.1) and IP/128 to it.
//
// In the bridge topology an external may lie inside a pod subnet (pods at
// 10.0.0.10-18, an external at 10.0.0.200): pods see it on their link
// with br0's MAC, so their packets to it are routed by the node like any
// other. An external may not be the network, gateway or broadcast address
// of a subnet with pods, nor a pod go where its subnet's network, gateway
// or broadcast address is an external's.
//
// # MAC addresses and neighbour entries
//
// A pod's eth0 has a MAC address derived from its addresses (0a:58 and the
// IPv4 address, as the CNI bridge plugin does; IPv6-only pods 0a:59 and a
// hash, unique among the pods), an external's eth0 one derived the same
// way, br0 the fixed 0a:58:ac:1f:ff:01 and the node end of every routed
// veth (routed pods, externals) 0a:58:a9:fe:01:01.
//
// Knowing them all, the lab installs permanent neighbour entries itself
// (rtnetlink, from a socket opened inside each namespace; no process per
// namespace) and nothing is left to ARP or NDP: the kernel's neighbour
// tables are shared by every namespace of the machine and allow 1024
// dynamic entries per family in all (gc_thresh3), the pods of one subnet
// would need about n² of them, and an overflow breaks neighbour resolution
// everywhere on the machine; permanent entries do not count against that
// limit. Bridge topology: a pod has entries for its subnets' gateways
// (br0's MAC) and for every other endpoint's address in its subnets (a
// pod's MAC, br0's for an external), the node one on br0 per pod address.
// Routed topology and externals: the endpoint has entries for 169.254.1.1
// and fe80::1 (its families'), the node one per address on the endpoint's
// veth. AddPod and AddExternal add them with the endpoint (replacing
// whatever entry the other pods had for its address, e.g. a failed one
// after probing it while nobody had it), RemovePod deletes the pod's from the
// other pods and br0 (the rest go with its namespace and veth), so an
// address passing to an endpoint with another MAC is seen with the new
// one at once. Endpoints send no router solicitations and br0's ports have
// IPv6 off; what remains dynamic is one multicast entry per IPv6 interface
// for its MLD reports.
//
// Proxy ARP and NDP on br0 stay as a fallback for externals inside a pod
// subnet: IPv4 proxy ARP answers for the addresses the node routes
// through another interface (the external's /32 beats br0's /24, and
// never for pods, whose route is br0's own); IPv6 proxy NDP for the
// addresses with a proxy entry on br0, one per external inside a /64 with
// pods, added with the subnet's gateway or with the external and removed
// with the gateway. Both answer at once (proxy_delay 0), and the node
// handles unicast solicitations for a proxied address itself
// (net.ipv6.conf.all.proxy_ndp) instead of forwarding them.
//
// Every namespace has DAD and rp_filter off. The node has IPv4 and IPv6
// forwarding on and sends no ICMP redirects; pods and externals accept
// none; br0 has multicast snooping off, proxy_arp and proxy_ndp on.
//
// # Listeners and probes
//
// Every endpoint listens on its ports with wildcard, dual-stack sockets of
// this process: TCP accepts and closes, UDP echoes, and a raw socket per
// family sees SCTP INITs (the kernel needs no SCTP support). Probe runs in
// the source's namespace: a TCP connect, a UDP nonce that must come back, an
// SCTP INIT with a correct CRC32c that the destination's raw socket must
// see, each within Config.ProbeTimeout. A probe that times out or is
// refused is false (a "deny"). The lab's ruleset only drops, so "host or
// network unreachable" and "permission denied" on the way to an endpoint
// of the lab (or to the node) are errors, never a deny: the lab's network
// is broken. Only to an address nobody has is unreachable an ordinary
// false. Probes may run concurrently with
// each other (hundreds at once) and with AddPod, RemovePod and AddExternal,
// which are serialized among themselves. Removing an endpoint waits for the
// probes running from it.
//
// # State and cleanup
//
// New creates StateRoot/<id>/ (default /run/nftpolicy-lab) holding "pid",
// the lab process's pid; the orchestration keeps the API server's and
// etcd's data there. Close removes the namespaces and then the directory;
// Cleanup, for labs whose process is gone, kills the processes whose command
// line mentions their directory, deletes their namespaces and removes the
// directory. hack/cleanup-netns.sh (make clean-netns) sweeps every nftp-
// namespace without looking at state.
package labnet

// Package netns holds the network-namespace primitives shared by the
// real-kernel test harness (test/harness) and the lab (internal/labnet):
// creating and deleting named namespaces, running iproute2 and other
// programs inside them, entering them from a Go thread, writing their
// sysctls, and the listeners and probes that send real packets through
// them.
//
// # Safety
//
// Every namespace name these functions accept starts with Prefix ("nftp-");
// CheckOwned refuses any other name before anything runs, so no command can
// land in the machine's own (root) network namespace by mistake.
// Namespaces are created with `ip netns add` and live at Dir/<name>
// (/run/netns); hack/cleanup-netns.sh sweeps leftovers by the prefix.
// Sysctls are written from a locked OS thread that has entered the target
// namespace (InNetns), never from the root namespace.
//
// # Sockets inside namespaces
//
// A socket belongs to the namespace of the thread that created it, for its
// whole life. InNetns runs a function on a locked thread switched into a
// namespace; sockets made there may be used from any goroutine afterwards.
// Listen opens the probe targets of one namespace: a TCP listener that
// accepts and closes every connection, a UDP server that echoes every
// datagram, and raw SCTP receivers.
//
// # Probes
//
// ProbeTCP connects, ProbeUDP sends a random nonce and waits for its echo,
// and ProbeSCTP sends one SCTP INIT chunk (correct CRC32c, so conntrack
// does not call it invalid) from a raw IP socket, which the destination's
// SCTPReceiver must see: the kernel needs no SCTP support. Each returns nil
// when the probe got through; Blocked tells an ordinary failure to connect
// (dropped, refused, timed out, no listener) from a fault of the caller.
package netns

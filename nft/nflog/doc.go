// Package nflog reads the packets nftables rules log to an NFLOG group (`log group N prefix "..."`) in one network
// namespace and parses each into a Packet: the rule's prefix, the IP family, addresses, protocol, ports and TCP
// flags.
//
// It talks to the kernel's nfnetlink_log (NETLINK_NETFILTER, subsystem NFNL_SUBSYS_ULOG) directly: Open binds
// the group on a socket of its own, asks for the first 128 bytes of every packet (the network header onwards:
// enough for IPv6 and TCP headers) and for a per-group sequence number, which is how Lost counts exactly the
// messages the kernel dropped when the socket's receive buffer was full. It sets the group's queue threshold to
// one packet: by default the kernel holds up to 100 packets for up to a second before sending them, so a single
// packet would arrive a second late.
//
// It does not add or change any rule, does not map addresses to pods, and does not interpret the prefix. It
// does not decode link-layer headers, conntrack state, marks or interfaces, and only packets whose logged
// bytes begin with an IPv4 or IPv6 header are returned; anything else is counted in Skipped.
package nflog

// Package kernel programs the one nftables table nftpolicy owns, `inet nftpolicy`, in one network namespace,
// through netlink. It is the only package that talks to nftables (and the only one that imports
// github.com/google/nftables); everything above it works on the pure model of package nft.
//
// Conn.Sync turns the desired table into one atomic batch against the state it last applied or read; Conn.Read
// decodes what the kernel holds back into the model, so a table loaded with `nft -f` from nft.Table.Text and one
// programmed here read the same, and whatever someone else changed reads as something no desired table has (an
// nft.Unknown rule, a set without a key, a hook with a descriptive name), which the next sync replaces.
//
// What the library does and what this package does itself (github.com/google/nftables v0.3.0):
//   - The library serialises tables, chains, sets and rules (its Conn writes into an in-memory socket and this
//     package captures the messages) and decodes expressions.
//   - This package sends the batch on its own NETLINK_NETFILTER socket, matching every acknowledgement to its
//     message by sequence number (the library's Flush joins errors without saying which message failed, and asks
//     for an echo of every rule), with socket buffers forced (SO_SNDBUFFORCE) large enough for 100,000 elements
//     in one sendmsg.
//   - It builds set-element messages itself, at most 1,000 elements and 60,000 bytes each: the library's element
//     list is one attribute with a 16-bit length that silently overflows above ~2,047 elements, and it cannot
//     mark an interval that reaches the top of the address space the way nft does.
//   - It decodes sets, elements, chains and rules itself: the library loses a verdict map's key type and its
//     elements' verdicts, cannot decode byteorder, and skips expressions it does not know instead of failing.
//
// Kernel behaviours it works around: a set dump that races a hash table resize (right after a bulk load) lists
// some elements twice and others not at all, so a dump with duplicates is read again; and the kernel refuses to
// change base chains in the transaction that wakes a dormant table, so waking is a batch of its own.
package kernel

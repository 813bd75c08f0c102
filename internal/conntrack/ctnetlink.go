package conntrack

import (
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// ctnetlink message types and attributes. golang.org/x/sys/unix has
// NFNL_SUBSYS_CTNETLINK but none of these, so they are defined here from
// include/uapi/linux/netfilter/nfnetlink_conntrack.h (enum cntl_msg_types,
// ctattr_type, ctattr_tuple, ctattr_ip, ctattr_l4proto). The values are
// kernel ABI and never change.
const (
	ipctnlMsgCtNew    = 0 // IPCTNL_MSG_CT_NEW: also the type of every entry a dump returns
	ipctnlMsgCtGet    = 1 // IPCTNL_MSG_CT_GET
	ipctnlMsgCtDelete = 2 // IPCTNL_MSG_CT_DELETE
)

// enum ctattr_type (top level of an entry).
const (
	ctaTupleOrig  = 1  // CTA_TUPLE_ORIG, nested ctattr_tuple
	ctaTupleReply = 2  // CTA_TUPLE_REPLY, nested ctattr_tuple
	ctaZone       = 18 // CTA_ZONE, __be16
)

// enum ctattr_tuple.
const (
	ctaTupleIP    = 1 // CTA_TUPLE_IP, nested ctattr_ip
	ctaTupleProto = 2 // CTA_TUPLE_PROTO, nested ctattr_l4proto
	ctaTupleZone  = 3 // CTA_TUPLE_ZONE, __be16 (a zone that applies to one direction only)
)

// enum ctattr_ip.
const (
	ctaIPv4Src = 1 // CTA_IP_V4_SRC, 4 bytes
	ctaIPv4Dst = 2 // CTA_IP_V4_DST
	ctaIPv6Src = 3 // CTA_IP_V6_SRC, 16 bytes
	ctaIPv6Dst = 4 // CTA_IP_V6_DST
)

// enum ctattr_l4proto.
const (
	ctaProtoNum        = 1 // CTA_PROTO_NUM, u8
	ctaProtoSrcPort    = 2 // CTA_PROTO_SRC_PORT, __be16 (TCP, UDP, UDP-Lite, SCTP, DCCP; the key for GRE)
	ctaProtoDstPort    = 3 // CTA_PROTO_DST_PORT, __be16
	ctaProtoICMPID     = 4 // CTA_PROTO_ICMP_ID, __be16
	ctaProtoICMPType   = 5 // CTA_PROTO_ICMP_TYPE, u8
	ctaProtoICMPCode   = 6 // CTA_PROTO_ICMP_CODE, u8
	ctaProtoICMPv6ID   = 7 // CTA_PROTO_ICMPV6_ID, __be16
	ctaProtoICMPv6Type = 8 // CTA_PROTO_ICMPV6_TYPE, u8
	ctaProtoICMPv6Code = 9 // CTA_PROTO_ICMPV6_CODE, u8
)

// IP protocol numbers whose tuples carry something other than ports.
const (
	protoICMP   = unix.IPPROTO_ICMP
	protoICMPv6 = unix.IPPROTO_ICMPV6
)

// ctType is the netlink message type of a ctnetlink message: subsystem in the high byte, message in the low.
func ctType(msg uint8) netlink.HeaderType {
	return netlink.HeaderType(unix.NFNL_SUBSYS_CTNETLINK<<8 | uint16(msg))
}

// nfgenmsg is the header every nfnetlink message starts with: family, version, resource id (0 here).
func nfgenmsg(family uint8) []byte {
	return []byte{family, unix.NFNETLINK_V0, 0, 0}
}

const nfgenmsgLen = 4

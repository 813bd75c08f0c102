package nflog

// Values from include/uapi/linux/netfilter/nfnetlink_log.h that golang.org/x/sys/unix does not define (it has
// only NFNL_SUBSYS_ULOG and NFNETLINK_V0 of this interface).
const (
	// enum nfulnl_msg_types
	msgPacket = 0 // NFULNL_MSG_PACKET: kernel to user, one logged packet
	msgConfig = 1 // NFULNL_MSG_CONFIG: user to kernel, bind and configure a group

	// enum nfulnl_attr_type (attributes of a packet message)
	attrPacketHdr = 1  // NFULA_PACKET_HDR: struct nfulnl_msg_packet_hdr {__be16 hw_protocol; __u8 hook; __u8 _pad}
	attrPayload   = 9  // NFULA_PAYLOAD: the packet from its network header on, cut at the copy range
	attrPrefix    = 10 // NFULA_PREFIX: the rule's prefix, NUL-terminated
	attrSeq       = 12 // NFULA_SEQ: __be32 sequence number local to the group (with NFULNL_CFG_F_SEQ)

	// enum nfulnl_attr_config (attributes of a config message)
	cfgCmd     = 1 // NFULA_CFG_CMD: struct nfulnl_msg_config_cmd {__u8 command}
	cfgMode    = 2 // NFULA_CFG_MODE: struct nfulnl_msg_config_mode {__be32 copy_range; __u8 copy_mode; __u8 _pad}
	cfgQThresh = 5 // NFULA_CFG_QTHRESH: __be32 packets queued before the kernel sends them
	cfgFlags   = 6 // NFULA_CFG_FLAGS: __be16 NFULNL_CFG_F_*

	// enum nfulnl_msg_config_cmds
	cmdBind   = 1 // NFULNL_CFG_CMD_BIND
	cmdUnbind = 2 // NFULNL_CFG_CMD_UNBIND

	copyPacket = 0x02   // NFULNL_COPY_PACKET
	flagSeq    = 0x0001 // NFULNL_CFG_F_SEQ
)

// NFPROTO_IPV4 and NFPROTO_IPV6 (include/uapi/linux/netfilter.h), the nfgenmsg family of a packet message from
// an ip, ip6 or inet table.
const (
	nfprotoIPv4 = 2
	nfprotoIPv6 = 10
)

// copyRange is how many bytes of each packet the kernel copies: IPv6 (40) with room for extension headers plus
// TCP with options (up to 60), or IPv4 with the longest options (60) plus TCP.
const copyRange = 128

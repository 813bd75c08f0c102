package nflog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// packetType is the netlink message type of a logged packet.
const packetType = netlink.HeaderType(unix.NFNL_SUBSYS_ULOG<<8 | msgPacket)

// logged is what one packet message says: the packet, and its sequence number in the group if the kernel sent
// one.
type logged struct {
	pkt    Packet
	seq    uint32
	hasSeq bool
}

// decodeMessage decodes one NFULNL_MSG_PACKET message. Whatever is not such a message, or not an IPv4 or IPv6
// packet, or that contradicts itself about the family, is an error.
func decodeMessage(m netlink.Message) (logged, error) {
	var l logged
	if m.Header.Type != packetType {
		return l, fmt.Errorf("message type %#x is not a logged packet", uint16(m.Header.Type))
	}
	if len(m.Data) < 4 {
		return l, fmt.Errorf("packet message of %d bytes has no nfgenmsg header", len(m.Data))
	}
	nfFamily := m.Data[0]
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return l, fmt.Errorf("packet message attributes: %w", err)
	}
	var hwProto uint16
	var payload []byte
	havePayload := false
	for ad.Next() {
		d := ad.Bytes()
		switch ad.Type() {
		case attrPacketHdr:
			if len(d) >= 2 {
				hwProto = binary.BigEndian.Uint16(d[0:2])
			}
		case attrPrefix:
			l.pkt.Prefix, _, _ = strings.Cut(string(d), "\x00")
		case attrPayload:
			payload, havePayload = d, true
		case attrSeq:
			if len(d) == 4 {
				l.seq, l.hasSeq = binary.BigEndian.Uint32(d), true
			}
		}
	}
	if err := ad.Err(); err != nil {
		return l, fmt.Errorf("packet message attributes: %w", err)
	}
	if !havePayload {
		return l, errors.New("packet message without payload (copy mode not packet?)")
	}
	if err := parseIP(payload, &l.pkt); err != nil {
		return l, fmt.Errorf("packet with prefix %q: %w", l.pkt.Prefix, err)
	}
	// The first nibble decided the family; the kernel's own word, where it gives one, must agree.
	wantNF, wantHW := uint8(nfprotoIPv6), uint16(unix.ETH_P_IPV6)
	if l.pkt.Family == 4 {
		wantNF, wantHW = nfprotoIPv4, unix.ETH_P_IP
	}
	if (nfFamily == nfprotoIPv4 || nfFamily == nfprotoIPv6) && nfFamily != wantNF {
		return l, fmt.Errorf("packet with prefix %q: IPv%d header in a message of family %d",
			l.pkt.Prefix, l.pkt.Family, nfFamily)
	}
	if (hwProto == unix.ETH_P_IP || hwProto == unix.ETH_P_IPV6) && hwProto != wantHW {
		return l, fmt.Errorf("packet with prefix %q: IPv%d header with hardware protocol %#04x",
			l.pkt.Prefix, l.pkt.Family, hwProto)
	}
	return l, nil
}

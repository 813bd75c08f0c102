package nflog

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// packetMessage builds an NFULNL_MSG_PACKET the way the kernel does; hwProto 0 leaves NFULA_PACKET_HDR out, and
// seq < 0 leaves NFULA_SEQ out.
func packetMessage(t *testing.T, nfFamily uint8, hwProto uint16, prefix string, seq int64,
	payload []byte) netlink.Message {
	t.Helper()
	ae := netlink.NewAttributeEncoder()
	if hwProto != 0 {
		ae.Bytes(attrPacketHdr, []byte{byte(hwProto >> 8), byte(hwProto), 3, 0})
	}
	ae.Bytes(4, []byte{1, 0, 0, 0}) // NFULA_IFINDEX_INDEV, ignored
	if prefix != "" {
		ae.Bytes(attrPrefix, append([]byte(prefix), 0))
	}
	if payload != nil {
		ae.Bytes(attrPayload, payload)
	}
	if seq >= 0 {
		ae.Bytes(attrSeq, binary.BigEndian.AppendUint32(nil, uint32(seq)))
	}
	attrs, err := ae.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return netlink.Message{
		Header: netlink.Header{Type: packetType},
		Data:   append([]byte{nfFamily, 0, 0, 7}, attrs...),
	}
}

func TestDecodeMessage(t *testing.T) {
	pkt4 := ipv4(6, 0, 0, tcp(40000, 443, 0x02))
	l, err := decodeMessage(packetMessage(t, nfprotoIPv4, unix.ETH_P_IP, "ing-3f1c0a9e2b7d4c11", 41, pkt4))
	if err != nil {
		t.Fatal(err)
	}
	want := Packet{Prefix: "ing-3f1c0a9e2b7d4c11", Family: 4, Src: v4src, Dst: v4dst, Proto: 6, SrcPort: 40000,
		DstPort: 443, TCPFlags: 0x02}
	if l.pkt != want || !l.hasSeq || l.seq != 41 {
		t.Errorf("got %+v (seq %d, %v), want %+v (seq 41)", l.pkt, l.seq, l.hasSeq, want)
	}

	// Without a family from the kernel (a bridge or netdev table, no packet header), the IP header decides.
	l, err = decodeMessage(packetMessage(t, unix.AF_UNSPEC, 0, "", -1, ipv6(17, udp(1, 2))))
	if err != nil || l.pkt.Family != 6 || l.pkt.Prefix != "" || l.hasSeq {
		t.Errorf("IPv6 without family or prefix: %+v, %v", l, err)
	}

	for _, c := range []struct {
		name, err string
		m         netlink.Message
	}{
		{"config message", "not a logged packet",
			netlink.Message{Header: netlink.Header{Type: configType}, Data: make([]byte, 4)}},
		{"no nfgenmsg", "no nfgenmsg", netlink.Message{Header: netlink.Header{Type: packetType}, Data: []byte{2, 0}}},
		{"bad attributes", "attributes", netlink.Message{Header: netlink.Header{Type: packetType},
			Data: []byte{2, 0, 0, 7, 200, 0, 9, 0}}},
		{"no payload", "without payload", packetMessage(t, nfprotoIPv4, unix.ETH_P_IP, "p", 1, nil)},
		{"truncated payload", "cut", packetMessage(t, nfprotoIPv4, unix.ETH_P_IP, "p", 1, pkt4[:12])},
		{"IPv4 in an IPv6 message", "family 10", packetMessage(t, nfprotoIPv6, 0, "p", 1, pkt4)},
		{"IPv4 with an IPv6 hardware protocol", "hardware protocol", packetMessage(t, 0, unix.ETH_P_IPV6, "p", 1, pkt4)},
	} {
		t.Run(c.name, func(t *testing.T) {
			l, err := decodeMessage(c.m)
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("got %+v, %v; want an error about %q", l.pkt, err, c.err)
			}
		})
	}
	// A packet that does not parse still tells its sequence number, so it is not counted lost.
	if l, err := decodeMessage(packetMessage(t, nfprotoIPv4, unix.ETH_P_IP, "p", 9, pkt4[:12])); err == nil ||
		!l.hasSeq || l.seq != 9 {
		t.Errorf("truncated packet: %+v, %v", l, err)
	}
}

func TestLostAccounting(t *testing.T) {
	type step struct {
		enobufs bool
		seq     uint32
		lost    uint64 // Lost after the step
	}
	for _, c := range []struct {
		name  string
		first uint32 // the sequence number expected first
		steps []step
	}{
		{"in order", 0, []step{{seq: 0}, {seq: 1}, {seq: 2}}},
		{"a gap", 0, []step{{seq: 0}, {seq: 4, lost: 3}, {seq: 5, lost: 3}}},
		{"lost from the start", 0, []step{{seq: 2, lost: 2}}},
		{"ENOBUFS counts one until the gap says how many", 0, []step{
			{seq: 0}, {enobufs: true, lost: 1}, {seq: 1, lost: 1}, {seq: 10, lost: 8}, {seq: 11, lost: 8}}},
		{"ENOBUFS twice before the gap", 0, []step{
			{enobufs: true, lost: 1}, {enobufs: true, lost: 1}, {seq: 5, lost: 5}}},
		{"two overruns", 0, []step{
			{enobufs: true, lost: 1}, {seq: 2, lost: 2}, {enobufs: true, lost: 3}, {seq: 6, lost: 5}}},
		{"wrap", 0xfffffffe, []step{{seq: 0xfffffffe}, {seq: 1, lost: 2}}},
		{"backwards is no loss", 10, []step{{seq: 10}, {seq: 3}, {seq: 4}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Reader{nextSeq: c.first}
			for i, s := range c.steps {
				if s.enobufs {
					r.noteOverrun()
				} else {
					r.noteSeq(s.seq)
				}
				if got := r.Lost(); got != s.lost {
					t.Fatalf("step %d %+v: Lost = %d, want %d", i, s, got, s.lost)
				}
			}
		})
	}
}

func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte{2, 0, 0, 7, 8, 0, 1, 0, 8, 0, 3, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeMessage(netlink.Message{Header: netlink.Header{Type: packetType}, Data: data})
	})
}

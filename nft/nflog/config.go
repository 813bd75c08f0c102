package nflog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// configType is the netlink message type of a group's configuration.
const configType = netlink.HeaderType(unix.NFNL_SUBSYS_ULOG<<8 | msgConfig)

// ackTimeout bounds the wait for the kernel's answer to a config message, which it sends from within sendmsg:
// waiting longer means the socket is broken, and Open should say so rather than hang.
const ackTimeout = 5 * time.Second

// bindAttrs binds the group and configures it in the same message, so the kernel never logs to this socket with
// settings other than these: the first copyRange bytes of each packet, a sequence number on each (for Lost),
// and a queue threshold of one packet, so each packet is sent on its own as soon as it is logged: the kernel's
// defaults (NFULNL_QTHRESH_DEFAULT 100 packets, NFULNL_TIMEOUT_DEFAULT 1 s) deliver a lone packet a second late.
// A rule's own queue threshold only lowers the group's, so no rule can bring the batching back.
func bindAttrs() ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(cfgCmd, []byte{cmdBind})
	mode := make([]byte, 6) // copy_range, copy_mode, _pad
	binary.BigEndian.PutUint32(mode[0:4], copyRange)
	mode[4] = copyPacket
	ae.Bytes(cfgMode, mode)
	ae.Bytes(cfgQThresh, binary.BigEndian.AppendUint32(nil, 1))
	ae.Bytes(cfgFlags, binary.BigEndian.AppendUint16(nil, flagSeq))
	return ae.Encode()
}

func unbindAttrs() ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Bytes(cfgCmd, []byte{cmdUnbind})
	return ae.Encode()
}

// configMessage is an NFULNL_MSG_CONFIG for group. The family is AF_UNSPEC: a group is not tied to one, and
// only the obsolete per-family commands (PF_BIND) read it.
func configMessage(group uint16, attrs []byte, flags netlink.HeaderFlags) netlink.Message {
	data := append([]byte{unix.AF_UNSPEC, unix.NFNETLINK_V0, byte(group >> 8), byte(group)}, attrs...)
	return netlink.Message{
		Header: netlink.Header{Type: configType, Flags: netlink.Request | flags},
		Data:   data,
	}
}

// configure sends a config message and waits for its acknowledgement. Once bound, the group may log packets
// to the socket before the acknowledgement arrives; those are kept for Read.
func (r *Reader) configure(attrs []byte) error {
	sent, err := r.nl.Send(configMessage(r.group, attrs, netlink.Acknowledge))
	if err != nil {
		return err
	}
	if err := r.nl.SetReadDeadline(time.Now().Add(ackTimeout)); err != nil {
		return err
	}
	for {
		// A failure comes back as an error from Receive: the kernel sends no error but in reply to a request,
		// and this is the only one outstanding.
		msgs, err := r.nl.Receive()
		if errors.Is(err, unix.ENOBUFS) {
			r.noteOverrun()
			continue
		}
		if err != nil {
			if errors.Is(err, unix.EPERM) {
				err = fmt.Errorf("%w (another socket has bound the group, or no CAP_NET_ADMIN)", err)
			}
			return err
		}
		acked := false
		for _, m := range msgs {
			if m.Header.Type == netlink.Error && m.Header.Sequence == sent.Header.Sequence {
				acked = true
				continue
			}
			r.pending = append(r.pending, m)
		}
		if acked {
			return r.nl.SetReadDeadline(time.Time{})
		}
	}
}

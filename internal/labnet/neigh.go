package labnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/nftpolicy/nftpolicy/internal/netns"
)

// The lab knows every MAC address its endpoints see at each other's
// addresses, so it installs permanent neighbour entries instead of letting
// ARP and NDP learn them: the kernel's neighbour tables are shared by all
// namespaces of the machine and capped (gc_thresh3, 1024 per family), pods
// of one subnet would need about n² dynamic entries, and an overflow breaks
// neighbour resolution in every namespace, the machine's own included.
// Permanent entries do not count against that cap (Linux 4.19 and later).
// They are written with rtnetlink from a socket opened inside the target
// namespace: no process per namespace.

// neigh is a permanent neighbour entry: ip is at mac.
type neigh struct {
	ip  netip.Addr
	mac string
}

// neighBatch bounds the requests sent with one sendmsg: the kernel answers
// each with an ack, which waits in the socket's receive buffer until read.
const neighBatch = 64

// neighRecvTimeout bounds the wait for an ack; the kernel answers while the
// requests are sent, so it is never reached unless something is badly off.
const neighRecvTimeout = 5

// setNeighbours makes the neighbour table of the interface dev in the
// namespace ns hold a permanent entry for every element of add (replacing
// any entry those addresses had, dynamic or not) and no entry for the
// addresses of del (absent ones are no error).
func setNeighbours(ns, dev string, add []neigh, del []netip.Addr) error {
	if len(add)+len(del) == 0 {
		return nil
	}
	if err := netns.CheckOwned(ns); err != nil {
		return err
	}
	reqs := make([]neighReq, 0, len(add)+len(del))
	for _, a := range add {
		mac, err := net.ParseMAC(a.mac)
		if err != nil || len(mac) != 6 {
			return fmt.Errorf("netns %s: neighbour %s on %s: bad MAC address %q", ns, a.ip, dev, a.mac)
		}
		reqs = append(reqs, neighReq{ip: a.ip, mac: mac})
	}
	for _, ip := range del {
		reqs = append(reqs, neighReq{ip: ip})
	}
	err := netns.InNetns(netns.Path(ns), func() error {
		fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("rtnetlink socket: %w", err)
		}
		defer unix.Close(fd)
		// Acks carry only the header of the request they answer.
		if err := unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1); err != nil {
			return fmt.Errorf("rtnetlink socket: NETLINK_CAP_ACK: %w", err)
		}
		if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: neighRecvTimeout}); err != nil {
			return fmt.Errorf("rtnetlink socket: SO_RCVTIMEO: %w", err)
		}
		ifr, err := unix.NewIfreq(dev)
		if err != nil {
			return err
		}
		// Interface ioctls work on any socket of the namespace.
		if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
			return fmt.Errorf("interface %s: %w", dev, err)
		}
		idx := int32(ifr.Uint32())
		var errs []error
		for i := 0; i < len(reqs); i += neighBatch {
			errs = append(errs, neighExchange(fd, idx, reqs[i:min(i+neighBatch, len(reqs))], uint32(i+1)))
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return fmt.Errorf("netns %s: neighbours on %s: %w", ns, dev, err)
	}
	return nil
}

// neighReq is one request: replace the entry for ip with a permanent one
// at mac, or (mac nil) delete it.
type neighReq struct {
	ip  netip.Addr
	mac net.HardwareAddr
}

func (r neighReq) String() string {
	if r.mac == nil {
		return "delete " + r.ip.String()
	}
	return fmt.Sprintf("%s lladdr %s", r.ip, r.mac)
}

// neighExchange sends reqs (sequence numbers seq, seq+1, ...) in one
// sendmsg and reads their acks.
func neighExchange(fd int, ifindex int32, reqs []neighReq, seq uint32) error {
	var b []byte
	for i, r := range reqs {
		b = appendNeighMsg(b, ifindex, r, seq+uint32(i))
	}
	for {
		err := unix.Sendto(fd, b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
		if err == nil {
			break
		}
		if !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("rtnetlink send: %w", err)
		}
	}
	var errs []error
	pending := len(reqs)
	buf := make([]byte, 1<<16)
	for pending > 0 {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("rtnetlink receive (%d acks missing): %w", pending, err))...)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("rtnetlink receive: %w", err))...)
		}
		for _, m := range msgs {
			k := int(m.Header.Seq) - int(seq)
			if m.Header.Type != unix.NLMSG_ERROR || k < 0 || k >= len(reqs) || len(m.Data) < 4 {
				continue
			}
			pending--
			errno := syscall.Errno(-int32(binary.NativeEndian.Uint32(m.Data)))
			if errno == 0 || (reqs[k].mac == nil && errno == unix.ENOENT) {
				continue
			}
			errs = append(errs, fmt.Errorf("%s: %w", reqs[k], errno))
		}
	}
	return errors.Join(errs...)
}

// appendNeighMsg appends an RTM_NEWNEIGH (permanent, create or replace) or
// RTM_DELNEIGH request for r on the interface ifindex.
func appendNeighMsg(b []byte, ifindex int32, r neighReq, seq uint32) []byte {
	typ, flags := uint16(unix.RTM_DELNEIGH), uint16(unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	state := uint16(0)
	if r.mac != nil {
		typ, flags = unix.RTM_NEWNEIGH, flags|unix.NLM_F_CREATE|unix.NLM_F_REPLACE
		state = unix.NUD_PERMANENT
	}
	fam, dst := uint8(unix.AF_INET6), r.ip.AsSlice()
	if r.ip.Is4() {
		fam = unix.AF_INET
	}
	start := len(b)
	ne := binary.NativeEndian
	b = ne.AppendUint32(b, 0) // nlmsg_len, set below
	b = ne.AppendUint16(b, typ)
	b = ne.AppendUint16(b, flags)
	b = ne.AppendUint32(b, seq)
	b = ne.AppendUint32(b, 0) // nlmsg_pid: the kernel
	// struct ndmsg
	b = append(b, fam, 0, 0, 0)
	b = ne.AppendUint32(b, uint32(ifindex))
	b = ne.AppendUint16(b, state)
	b = append(b, 0, 0) // ndm_flags, ndm_type
	b = appendRtAttr(b, unix.NDA_DST, dst)
	if r.mac != nil {
		b = appendRtAttr(b, unix.NDA_LLADDR, r.mac)
	}
	ne.PutUint32(b[start:], uint32(len(b)-start))
	return b
}

// appendRtAttr appends a route attribute, padded to 4 bytes.
func appendRtAttr(b []byte, typ uint16, val []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(unix.SizeofRtAttr+len(val)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, val...)
	for len(b)%unix.NLMSG_ALIGNTO != 0 {
		b = append(b, 0)
	}
	return b
}

// seenMAC is the MAC address the pods on br0 see at e's addresses: a pod's
// own, br0's for an external (the node routes their packets to it).
func seenMAC(e *endpoint) string {
	if e.external {
		return bridgeMAC
	}
	return e.mac
}

// learn installs the permanent neighbour entries that involve e, which is
// reserved and whose eth0 is up: e's own for its gateways (bridge
// topology: br0's MAC at the gateways of e's subnets and at every other
// endpoint's address in them, a pod's MAC for a pod, br0's for an
// external; otherwise gatewayMAC at 169.254.1.1 and fe80::1), the node's
// for e's addresses (on br0 for a bridge pod, on e's veth otherwise), and
// (bridge topology) those of the other pods of e's subnets for e's
// addresses. Each namespace is written once.
func (n *Net) learn(e *endpoint) error {
	bridged := n.cfg.Topology == Bridge && !e.external
	var own, node []neigh
	for _, ip := range e.ips {
		node = append(node, neigh{ip, e.mac})
		switch {
		case bridged:
			s := bridgeSubnet(ip)
			own = append(own, neigh{gateway(s), bridgeMAC})
			for a, o := range n.used {
				if o != e && s.Contains(a) {
					own = append(own, neigh{a, seenMAC(o)})
				}
			}
		case ip.Is4():
			own = append(own, neigh{routedGW4, gatewayMAC})
		default:
			own = append(own, neigh{routedGW6, gatewayMAC})
		}
	}
	nodeDev := e.hostIf
	if bridged {
		nodeDev = "br0"
	}
	errs := []error{setNeighbours(e.netns, "eth0", own, nil), setNeighbours(n.node, nodeDev, node, nil)}
	mac := seenMAC(e)
	for o, ips := range n.peers(e) {
		l := make([]neigh, len(ips))
		for i, ip := range ips {
			l[i] = neigh{ip, mac}
		}
		errs = append(errs, setNeighbours(o.netns, "eth0", l, nil))
	}
	return errors.Join(errs...)
}

// forget deletes, once e is released, the entries learn made for e's
// addresses outside e's namespace that do not go with e's veth: the
// node's on br0 (bridge pods) and the other pods' (bridge topology). An
// address that passes to another endpoint is then learnt afresh, with
// that one's MAC.
func (n *Net) forget(e *endpoint) error {
	var errs []error
	if n.cfg.Topology == Bridge && !e.external {
		errs = append(errs, setNeighbours(n.node, "br0", nil, e.ips))
	}
	for o, ips := range n.peers(e) {
		errs = append(errs, setNeighbours(o.netns, "eth0", nil, ips))
	}
	return errors.Join(errs...)
}

// peers maps the pods that keep entries for e's addresses to those
// addresses: in the bridge topology, the pods other than e with an address
// in one of e's subnets (e's address inside a pod subnet, for an
// external); none in the routed topology.
func (n *Net) peers(e *endpoint) map[*endpoint][]netip.Addr {
	if n.cfg.Topology != Bridge {
		return nil
	}
	out := map[*endpoint][]netip.Addr{}
	for _, ip := range e.ips {
		s := bridgeSubnet(ip)
		for a, o := range n.used {
			if o != e && !o.external && s.Contains(a) {
				out[o] = append(out[o], ip)
			}
		}
	}
	return out
}

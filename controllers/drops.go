package controllers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nftpolicy/nftpolicy/nft/nflog"
)

// Drop is one packet a group chain dropped (a new connection, or its retry), as the drop log reports it.
type Drop struct {
	At        time.Time
	Direction string // "ingress": the destination is isolated; "egress": the source is
	Src, Dst  netip.Addr
	// SrcPod and DstPod are "namespace/name" of the pods with those addresses ("" for none, e.g. an external
	// address or a node).
	SrcPod, DstPod string
	Proto          string // "tcp", "udp", "sctp", "icmp", ... or the protocol number
	Port           uint16 // destination port (0 without one)
	// Tier is "Admin" or "Baseline" when a Deny rule of a ClusterNetworkPolicy of that tier dropped the packet;
	// "" when NetworkPolicy isolation did.
	Tier string
	// Policies are the policies isolating the pod in that direction, none of whose rules allows the packet
	// ("namespace/name"); with a Tier, the pod's ClusterNetworkPolicies of that tier with Deny rules, one of
	// which denied it (names).
	Policies []string
	// Audit: the pod's namespace (or the cluster) is in audit mode; the packet was let through, not dropped.
	Audit bool
}

// Reason says why the packet was dropped, for humans.
func (d Drop) Reason() string {
	pod, addr := d.DstPod, d.Dst
	if d.Direction == "egress" {
		pod, addr = d.SrcPod, d.Src
	}
	if pod == "" {
		pod = addr.String()
	}
	one := len(d.Policies) == 1
	reason := fmt.Sprintf("%s is isolated for %s by %s and no rule of %s allows this", pod, d.Direction,
		strings.Join(d.Policies, ", "), map[bool]string{true: "it", false: "them"}[one])
	if d.Tier != "" {
		by := "one of the " + d.Tier + " ClusterNetworkPolicies " + strings.Join(d.Policies, ", ")
		if one {
			by = d.Tier + " ClusterNetworkPolicy " + d.Policies[0]
		}
		reason = fmt.Sprintf("%s of %s is denied by a Deny rule of %s", d.Direction, pod, by)
	}
	if d.Audit {
		reason += " (audit mode: let through)"
	}
	return reason
}

// dropLog reads the packets the group chains and the tiers' deny chains log before dropping (NFLOG), and
// reports each as a Drop: a log
// line, the nftpolicy_drops_logged_total metric, the OnDrop hook, and the recent drops kept for the node's
// status. The kernel limits how many it logs (compiler.LogOptions); a full socket loses some
// (nftpolicy_drops_lost_total).
type dropLog struct {
	netns  string
	group  uint16
	chains *atomic.Pointer[chainIndex]
	pods   podsByIP
	log    logr.Logger
	onDrop func(Drop)
	events *dropEvents // nil: no Events
	logged *prometheus.CounterVec
	lost   prometheus.Counter

	mu     sync.Mutex
	recent []Drop // newest last, at most maxRecentDrops
}

const (
	maxRecentDrops = 50
	// reopenAfter is how long the drop log waits before it tries to bind the NFLOG group again.
	reopenAfter = 10 * time.Second
)

// Start reads drops until ctx ends. It never fails the agent: when the group cannot be bound (another process
// holds it) it logs why and tries again later, while enforcement goes on.
func (d *dropLog) Start(ctx context.Context) error {
	if err := d.pods.follow(ctx); err != nil {
		// Drops are still logged, by address.
		d.log.Error(err, "drop log: cannot name pods; drops are logged with addresses only")
	}
	for {
		err := d.run(ctx)
		if ctx.Err() != nil {
			return nil
		}
		d.log.Error(err, "drop log: reading NFLOG failed; trying again", "group", d.group, "after", reopenAfter)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(reopenAfter):
		}
	}
}

func (d *dropLog) run(ctx context.Context) error {
	r, err := nflog.Open(d.netns, d.group)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { r.Close() })
	defer stop()
	var lost uint64
	for {
		p, err := r.Read()
		if errors.Is(err, net.ErrClosed) && ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.Close()
			return err
		}
		if n := r.Lost(); n > lost {
			d.lost.Add(float64(n - lost))
			lost = n
		}
		if drop, ok := d.drop(p); ok {
			d.report(drop)
		}
	}
}

// drop describes p, logged by the chain named in its prefix; false when no chain in force has that name.
func (d *dropLog) drop(p nflog.Packet) (Drop, bool) {
	idx := d.chains.Load()
	if idx == nil {
		return Drop{}, false
	}
	info, ok := (*idx)[p.Prefix]
	if !ok {
		return Drop{}, false
	}
	drop := Drop{At: time.Now(), Direction: info.Direction.String(), Src: p.Src, Dst: p.Dst,
		Proto: protoName(p.Proto), Port: p.DstPort, Audit: info.Audit, Tier: tierName(info.Tier)}
	for _, pol := range info.Policies {
		drop.Policies = append(drop.Policies, pol.String())
	}
	drop.SrcPod, drop.DstPod = d.pods.get(p.Src), d.pods.get(p.Dst)
	return drop, true
}

func (d *dropLog) report(drop Drop) {
	d.logged.WithLabelValues(drop.Direction).Inc()
	msg := "dropped"
	if drop.Audit {
		msg = "would drop (audit mode)"
	}
	d.log.Info(msg, "direction", drop.Direction, "src", orAddr(drop.SrcPod, drop.Src),
		"dst", orAddr(drop.DstPod, drop.Dst), "srcIP", drop.Src.String(), "dstIP", drop.Dst.String(),
		"proto", drop.Proto, "port", drop.Port, "tier", drop.Tier, "policies", drop.Policies, "reason", drop.Reason())
	d.mu.Lock()
	d.recent = append(d.recent, drop)
	if len(d.recent) > maxRecentDrops {
		d.recent = slices.Delete(d.recent, 0, len(d.recent)-maxRecentDrops)
	}
	d.mu.Unlock()
	if d.events != nil {
		d.events.record(drop)
	}
	if d.onDrop != nil {
		d.onDrop(drop)
	}
}

// Recent returns the last drops, oldest first.
func (d *dropLog) Recent() []Drop {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.recent)
}

func orAddr(pod string, addr netip.Addr) string {
	if pod != "" {
		return pod
	}
	return addr.String()
}

func protoName(p uint8) string {
	switch p {
	case 1:
		return "icmp"
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 58:
		return "icmpv6"
	case 132:
		return "sctp"
	}
	return fmt.Sprint(p)
}

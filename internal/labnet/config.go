package labnet

import (
	"fmt"
	"slices"
	"time"
)

// Topology selects how pods are wired to the node.
type Topology string

const (
	// Bridge puts pods on the bridge br0 of the node (bridge/flannel CNIs).
	Bridge Topology = "bridge"
	// Routed gives every pod its own routed veth (Calico/ptp CNIs).
	Routed Topology = "routed"
)

// Proto is a transport protocol: "TCP", "UDP" or "SCTP".
type Proto string

// The protocols a Port may have.
const (
	TCP  Proto = "TCP"
	UDP  Proto = "UDP"
	SCTP Proto = "SCTP"
)

// Port is a protocol and port number an endpoint listens on or a probe
// goes to.
type Port struct {
	Proto  Proto
	Number uint16
}

func (p Port) String() string { return fmt.Sprintf("%s/%d", p.Proto, p.Number) }

func (p Port) check() error {
	switch p.Proto {
	case TCP, UDP, SCTP:
	default:
		return fmt.Errorf("port %s: unknown protocol %q", p, p.Proto)
	}
	if p.Number == 0 {
		return fmt.Errorf("port %s: number 0", p)
	}
	return nil
}

// Config configures New; the zero value is valid.
type Config struct {
	Topology     Topology      // default Bridge
	ProbeTimeout time.Duration // default 1s: a probe that gets no answer within it is "deny"
	StateRoot    string        // default "/run/nftpolicy-lab"
}

// Defaults of Config.
const (
	DefaultProbeTimeout = time.Second
	DefaultStateRoot    = "/run/nftpolicy-lab"
)

func (c Config) withDefaults() (Config, error) {
	switch c.Topology {
	case "":
		c.Topology = Bridge
	case Bridge, Routed:
	default:
		return c, fmt.Errorf("unknown topology %q", c.Topology)
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.StateRoot == "" {
		c.StateRoot = DefaultStateRoot
	}
	return c, nil
}

// uniquePorts checks ports and returns them without repeats, sorted.
func uniquePorts(ports []Port) ([]Port, error) {
	out := make([]Port, 0, len(ports))
	for _, p := range ports {
		if err := p.check(); err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b Port) int {
		if a.Proto != b.Proto {
			if a.Proto < b.Proto {
				return -1
			}
			return 1
		}
		return int(a.Number) - int(b.Number)
	})
	return out, nil
}

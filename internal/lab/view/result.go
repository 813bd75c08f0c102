package view

import (
	"net/netip"
)

// Result is one probe: a connection attempt from one endpoint to another on one port, protocol and address family.
type Result struct {
	From, To           string // "namespace/name" for pods, an IP string for external hosts
	FromIP, ToIP       netip.Addr
	Port               uint16
	Protocol           string // "TCP", "UDP", "SCTP"; "" reads as TCP, as in Kubernetes
	Observed, Expected bool   // true = allow
	// Audited: the expected allow is there only because a side is in audit mode (eval.Verdict.Audited): enforced,
	// the connection would be denied. Always false when !Expected.
	Audited bool
	// DecidedBy is the ClusterNetworkPolicy rule that decided the expected verdict (see DecidedBy), "" when
	// NetworkPolicies or the default did: listed under the matrix by ClusterRules.
	DecidedBy string
	Err       error // the probe itself failed (lab fault): shown as "?" in the matrix and listed
}

// Options for rendering.
type Options struct {
	Color bool   // ANSI colours (callers decide from isatty + NO_COLOR)
	Width int    // terminal width; 0 = 120
	Title string // e.g. "scenario demo — 6 pods, 4 policies, synced in 180ms"
}

const defaultWidth = 120

func (o Options) width() int {
	if o.Width <= 0 {
		return defaultWidth
	}
	return o.Width
}

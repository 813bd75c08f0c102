package view

import (
	"cmp"
	"net/netip"
	"strings"
)

// endpointKind orders endpoints: pods first, then external hosts, then anything else.
type endpointKind uint8

const (
	kindPod      endpointKind = iota // "namespace/name"
	kindExternal                     // an IP address
	kindOther                        // neither (a CIDR, an empty name): sorted by name, last
)

// endpoint is a source or destination of probes.
type endpoint struct {
	name     string // as shown: Result.From or To, on one line
	kind     endpointKind
	ns, pod  string     // kindPod
	addr     netip.Addr // kindExternal
	num      int        // 1-based position in the sorted endpoints: the row and column number
	row, col bool       // some probe goes from it, to it
}

func newEndpoint(name string) endpoint {
	name = oneLine(name)
	e := endpoint{name: name, kind: kindOther}
	if name == "" {
		e.name = "(unnamed)"
		return e
	}
	if a, err := netip.ParseAddr(name); err == nil {
		e.kind, e.addr = kindExternal, a
		return e
	}
	if ns, pod, ok := strings.Cut(name, "/"); ok {
		if _, err := netip.ParsePrefix(name); err != nil {
			e.kind, e.ns, e.pod = kindPod, ns, pod
		}
	}
	return e
}

func compareEndpoints(a, b endpoint) int {
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	switch a.kind {
	case kindPod:
		return cmp.Or(strings.Compare(a.ns, b.ns), strings.Compare(a.pod, b.pod))
	case kindExternal:
		return cmp.Or(a.addr.Compare(b.addr), strings.Compare(a.name, b.name))
	}
	return strings.Compare(a.name, b.name)
}

// short is the name without the namespace (pods) or the name.
func (e endpoint) short() string {
	if e.kind == kindPod {
		return e.pod
	}
	return e.name
}

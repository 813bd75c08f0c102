package lab

import (
	"bytes"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/nftpolicy/nftpolicy/compiler/build"
	"github.com/nftpolicy/nftpolicy/examples"
	"github.com/nftpolicy/nftpolicy/internal/labnet"
	"github.com/nftpolicy/nftpolicy/internal/manifest"
)

// scenario is one set of objects the lab applies, probes and (with --once) removes again.
type scenario struct {
	name string
	objs *manifest.Objects
	// ips are the addresses the manifests give pods (status.podIPs / podIP), by "namespace/name".
	ips map[string][]netip.Addr
}

// demoName names the built-in demo scenario.
const demoName = "demo"

// loadScenarios reads and checks every scenario before the lab makes anything: one per -f with --once, all -f
// files together in live mode, the built-in demo without -f. Errors name the file and object.
func loadScenarios(files []string, once bool) ([]*scenario, error) {
	type src struct {
		name  string
		paths []string
	}
	var srcs []src
	switch {
	case len(files) == 0:
		srcs = []src{{demoName, nil}}
	case once:
		for _, f := range files {
			srcs = append(srcs, src{filepath.Clean(f), []string{f}})
		}
	default:
		srcs = []src{{strings.Join(files, ","), files}}
	}
	var out []*scenario
	for _, s := range srcs {
		var objs *manifest.Objects
		var err error
		if s.paths == nil {
			objs, err = manifest.Load([]string{"-"}, bytes.NewReader(examples.LabDemo))
		} else {
			objs, err = manifest.Load(s.paths, nil)
		}
		if err != nil {
			return nil, err
		}
		sc := &scenario{name: s.name, objs: objs, ips: map[string][]netip.Addr{}}
		if err := sc.check(); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", s.name, err)
		}
		out = append(out, sc)
	}
	return out, nil
}

// check rejects what the lab cannot run and records the pods' addresses.
func (s *scenario) check() error {
	used := map[netip.Addr]string{}
	for _, p := range s.objs.Pods {
		key := p.Namespace + "/" + p.Name
		where := s.where("Pod", key)
		if p.Spec.HostNetwork {
			return fmt.Errorf("%sPod %s: spec.hostNetwork: the lab runs every pod in a network namespace of its own", where, key)
		}
		ips, err := manifestIPs(p)
		if err != nil {
			return fmt.Errorf("%sPod %s: %w", where, key, err)
		}
		for _, a := range ips {
			if other, dup := used[a]; dup {
				return fmt.Errorf("%sPod %s: status.podIPs: %s is also pod %s's", where, key, a, other)
			}
			used[a] = key
		}
		if len(ips) > 0 {
			s.ips[key] = ips
		}
	}
	for _, p := range s.objs.Policies {
		if err := build.Validate(p); err != nil {
			return fmt.Errorf("%s%w", s.where("NetworkPolicy", p.Namespace+"/"+p.Name), err)
		}
	}
	for _, p := range s.objs.ClusterPolicies {
		if err := build.ValidateCluster(p); err != nil {
			return fmt.Errorf("%s%w", s.where("ClusterNetworkPolicy", p.Name), err)
		}
	}
	if len(s.objs.Nodes) > 0 {
		n := s.objs.Nodes[0]
		return fmt.Errorf("%sNode %s: the lab has one node of its own, %s (labels kubernetes.io/hostname=%s, its "+
			"addresses those of the lab node's namespace); a nodes peer selects it by its labels", s.where("Node", n.Name),
			n.Name, NodeName, NodeName)
	}
	return nil
}

// where is "FILE: " for an object, or "".
func (s *scenario) where(kind, key string) string {
	if src := s.objs.Source(kind + " " + key); src != "" {
		return src + ": "
	}
	return ""
}

// manifestIPs returns the pod's status.podIPs (or status.podIP), at most one per family.
func manifestIPs(p *corev1.Pod) ([]netip.Addr, error) {
	var raw []string
	for _, ip := range p.Status.PodIPs {
		raw = append(raw, ip.IP)
	}
	if len(raw) == 0 && p.Status.PodIP != "" {
		raw = []string{p.Status.PodIP}
	}
	var out []netip.Addr
	for i, r := range raw {
		a, err := netip.ParseAddr(r)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("status.podIPs[%d]: not an IP address: %q", i, r)
		}
		a = a.Unmap()
		if !a.IsGlobalUnicast() || a.IsLoopback() {
			return nil, fmt.Errorf("status.podIPs[%d]: %s is not a unicast address a pod can have", i, a)
		}
		if slices.ContainsFunc(out, func(b netip.Addr) bool { return b.Is4() == a.Is4() }) {
			return nil, fmt.Errorf("status.podIPs[%d]: a second IPv%d address", i, family(a))
		}
		out = append(out, a)
	}
	return out, nil
}

func family(a netip.Addr) int {
	if a.Is4() {
		return 4
	}
	return 6
}

// podPorts are the TCP, UDP and SCTP container ports of the pod's containers, sorted, without duplicates.
func podPorts(p *corev1.Pod) []labnet.Port {
	var out []labnet.Port
	for _, c := range p.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.ContainerPort <= 0 || cp.ContainerPort > 65535 {
				continue
			}
			proto := labnet.Proto(cp.Protocol)
			if proto == "" {
				proto = labnet.TCP
			}
			pt := labnet.Port{Proto: proto, Number: uint16(cp.ContainerPort)}
			if !slices.Contains(out, pt) {
				out = append(out, pt)
			}
		}
	}
	sortPorts(out)
	return out
}

func sortPorts(ps []labnet.Port) {
	slices.SortFunc(ps, func(a, b labnet.Port) int {
		if c := strings.Compare(string(a.Proto), string(b.Proto)); c != 0 {
			return c
		}
		return int(a.Number) - int(b.Number)
	})
}

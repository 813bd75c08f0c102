package view

// The scenarios of the golden tests.

import (
	"strings"
)

type goldenCase struct {
	name    string
	opts    Options
	results []Result
}

func goldenCases() []goldenCase {
	shop := addressed(pods("shop", "client", "frontend", "backend", "db", "cache"), false)
	demo := addressed(append(pods("demo", "client", "frontend", "backend", "db"), pods("other", "probe", "scanner")...), false)
	return []goldenCase{
		{"all_allowed", Options{Title: "scenario open — 3 pods, 0 policies, synced in 40ms"},
			scenario{hosts: addressed(pods("default", "a", "b", "c"), false), ports: []port{tcp80}}.results()},
		{"default_deny", Options{Title: "scenario default-deny — 5 pods, 4 policies"}, scenario{
			hosts: shop, ports: []port{tcp80},
			allow: func(from, to string, _ port, _ bool) bool {
				return from == "shop/client" && to == "shop/frontend" || from == "shop/frontend" && to == "shop/backend" ||
					from == "shop/backend" && in(to, "shop/db", "shop/cache")
			},
		}.results()},
		{"mixed_ports", Options{}, scenario{
			hosts: addressed(pods("web", "client", "dns", "proxy", "server"), false),
			ports: []port{tcp80, tcp443, udp53},
			allow: func(from, to string, p port, _ bool) bool {
				switch to {
				case "web/dns":
					return p == udp53
				case "web/server":
					return p == tcp80 || p == tcp443 && from == "web/proxy"
				case "web/proxy":
					return p != udp53
				}
				return false
			},
		}.results()},
		{"mismatch", Options{Title: "scenario demo — 6 pods, 4 policies, synced in 180ms"}, scenario{
			hosts: demo, ports: []port{tcp80, tcp5432},
			allow: demoPolicy,
			twist: func(r *Result) {
				if r.From == "other/scanner" && r.To == "demo/db" && r.Port == 5432 {
					r.Observed = true
				}
			},
		}.results()},
		{"error", Options{}, scenario{
			hosts: addressed(pods("default", "a", "b", "c"), false), ports: []port{tcp80, tcp443},
			allow: func(_, to string, p port, _ bool) bool { return p == tcp80 || to == "default/c" },
			twist: func(r *Result) {
				if r.From == "default/a" && r.To == "default/c" && r.Port == 443 {
					r.Err, r.Observed = errTimeout, false
				}
			},
		}.results()},
		{"externals", Options{}, scenario{
			hosts: append(addressed(pods("apps", "api", "worker", "batch"), true),
				external("2001:db8::53"), external("203.0.113.10"), external("198.51.100.7")),
			ports: []port{tcp443},
			allow: func(from, to string, _ port, _ bool) bool {
				switch {
				case to == "203.0.113.10" || to == "2001:db8::53":
					return from == "apps/api"
				case from == "198.51.100.7":
					return to == "apps/api"
				}
				return !isExternal(host{name: from}) && !isExternal(host{name: to})
			},
		}.results()},
		{"dual_stack", Options{Title: "scenario dual-stack — 3 pods, ipBlock 10.244.0.0/16"}, scenario{
			hosts: addressed(pods("net", "a", "b", "c"), true), ports: []port{tcp80, sctp36},
			allow: func(from, to string, p port, v6 bool) bool {
				switch to {
				case "net/b":
					return !v6 // ipBlock of IPv4 only
				case "net/c":
					return from == "net/a" && p == tcp80
				}
				return true
			},
		}.results()},
		{"long_names", Options{Title: "scenario big — 40 pods"}, scenario{
			hosts: addressed(bigCluster(), false), ports: []port{tcp80, tcp443},
			allow: func(from, to string, p port, _ bool) bool {
				return nsOf(from) == nsOf(to) || p == tcp80 && nsOf(to) == "payments-production"
			},
			twist: func(r *Result) {
				if r.From == "ledger-archive/archiver-reconciler-59b7f-8kd2m" && r.To == "payments-production/api-gateway-7f9c8d6b5-x2k4q" && r.Port == 443 {
					r.Observed = true
				}
			},
		}.results()},
		{"dense", Options{Title: "scenario big — 40 pods, 80 columns", Width: 80}, scenario{
			hosts: addressed(bigCluster(), false), ports: []port{tcp80},
			allow: func(from, to string, _ port, _ bool) bool {
				return nsOf(from) == nsOf(to) || nsOf(from) == "observability"
			},
		}.results()},
		{"narrow", Options{Width: 72}, scenario{
			hosts: addressed(append(pods("team-alpha", "frontend-7d9f", "backend-5c2a", "worker-0", "worker-1"),
				pods("team-beta", "frontend-1b3c", "backend-9e8d", "worker-0", "worker-1")...), false),
			ports: []port{tcp80, tcp443},
			allow: func(from, to string, p port, _ bool) bool {
				return nsOf(from) == nsOf(to) && p == tcp443 || strings.Contains(to, "frontend") && p == tcp80
			},
		}.results()},
		{"audit", Options{Title: "scenario audit — 4 pods, namespace shop in audit mode"}, scenario{
			hosts: addressed(append(pods("shop", "frontend", "web", "db"), pods("ops", "debug")...), false),
			ports: []port{tcp80, tcp5432},
			allow: auditPolicy,
			// What shop's policies deny passes, unless ops/debug's enforced egress lock denies it first.
			audit: func(from, _ string, p port, _ bool) bool { return from != "ops/debug" || p == tcp80 },
			twist: func(r *Result) {
				if r.From == "shop/frontend" && r.To == "shop/db" && r.Port == 5432 {
					r.Observed = false // the agent dropped what audit mode lets through
				}
			},
		}.results()},
		{"empty", Options{Title: "scenario nothing — 0 pods"}, nil},
	}
}

// demoPolicy: the frontend is open on 80, the backend takes 80 from the frontend, the db 5432 from the backend,
// other/probe may reach everything on 80.
func demoPolicy(from, to string, p port, _ bool) bool {
	switch {
	case from == "other/probe":
		return p == tcp80
	case to == "demo/frontend":
		return p == tcp80
	case to == "demo/backend":
		return from == "demo/frontend" && p == tcp80
	case to == "demo/db":
		return from == "demo/backend" && p == tcp5432
	}
	return from == "demo/client" && to == "demo/client"
}

// auditPolicy, as enforced: shop/frontend is open on 80, shop/web takes 80 from the frontend, shop/db 5432 from
// the web; ops is not isolated for ingress, and ops/debug may send to port 80 only.
func auditPolicy(from, to string, p port, _ bool) bool {
	switch {
	case from == "ops/debug" && p != tcp80:
		return false
	case to == "shop/frontend":
		return p == tcp80
	case to == "shop/web":
		return from == "shop/frontend" && p == tcp80
	case to == "shop/db":
		return from == "shop/web" && p == tcp5432
	}
	return true
}

func nsOf(name string) string { ns, _, _ := strings.Cut(name, "/"); return ns }

// bigCluster is 40 pods with long names in four namespaces.
func bigCluster() []host {
	var hs []host
	for _, ns := range []struct {
		name string
		pods []string
	}{
		{"payments-production", []string{"api-gateway-7f9c8d6b5-x2k4q", "ledger-writer-6d8f9-abcde", "ledger-reader-6d8f9-fghij", "fraud-scorer-0", "fraud-scorer-1", "fraud-scorer-2", "settlement-batch-28461-zz9", "notifier-5c7b-qq1", "card-vault-0", "card-vault-1"}},
		{"ledger-archive", []string{"archiver-reconciler-59b7f-8kd2m", "archiver-0", "archiver-1", "compactor-7", "s3-uploader-a", "s3-uploader-b", "index-builder-0", "index-builder-1", "audit-exporter-x", "retention-cron-1"}},
		{"observability", []string{"prometheus-server-0", "prometheus-server-1", "alertmanager-0", "grafana-6b9d4-lmnop", "loki-ingester-0", "loki-ingester-1", "loki-querier-3f2", "tempo-distributor-0", "otel-collector-agent-abc", "otel-collector-agent-def"}},
		{"kube-system", []string{"coredns-5d78c9869d-2xv7k", "coredns-5d78c9869d-9qk4z", "metrics-server-6d94-kxl", "kube-state-metrics-0", "node-exporter-a", "node-exporter-b", "cluster-autoscaler-1", "external-dns-7c9", "cert-manager-5f6-qrs", "ingress-nginx-controller"}},
	} {
		hs = append(hs, pods(ns.name, ns.pods...)...)
	}
	return hs
}

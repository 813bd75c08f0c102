package e2e

// The upstream Kubernetes e2e NetworkPolicy suite
// (kubernetes/kubernetes test/e2e/network/netpol/network_policy.go), ported
// as data: the same policies (names, selectors, ports, policyTypes) and the
// truth tables transcribed from each spec's reachability.Expect… calls.
//
// Count: upstream has 48 pod-to-pod connectivity specs — 42 in
// "NetworkPolicy between server and client", 3 in "… using UDP" and 3 in
// "… using SCTP". All 48 are here (UpstreamSpecCount).
//
// Dropped: one revision of the upstream file carries a 49th spec, "should
// enforce default-deny ingress policy against LoadBalancer traffic with
// ExternalTrafficPolicy: Local" (feature.LoadBalancer). It needs a cloud
// LoadBalancer Service, kube-proxy and NodePorts, probes from outside the
// cluster and builds no truth table; nothing of it can be emulated with
// network namespaces and pod-to-pod probes, so it is not ported.
//
// How the upstream specs map onto this model:
//
//   - Recent upstream revisions start only the pods each spec needs (e.g.
//     "x/a", "x/b", "y/a"); earlier ones always used all nine pods. Here every
//     case has all nine pods, so the tables follow the nine-pod revisions of
//     the specs. The two differ in exactly two specs, where the nine-pod
//     revision sets cells for pods the trimmed one does not start: "should
//     enforce policy to allow ingress traffic for a target" also denies all
//     ingress to x/c, and "should enforce policy based on Multiple
//     PodSelectors and NamespaceSelectors" also denies z/a -> x/a. Every other
//     call is identical and, written with Peer matchers, carries over.
//   - Upstream probes pods through per-pod Services in older revisions; here
//     probes go straight to pod IPs. No ported spec depends on the Service
//     path.
//   - Upstream declares container ports only for the protocols a spec probes;
//     here every pod declares all six serve-<port>-<proto> ports. Named ports
//     in these specs are protocol-specific (serve-81-tcp …), so the resolution
//     is unchanged.
//   - Upstream ignores the pod -> itself cells when judging (ignoreLoopback);
//     here those cells are set to allowed (see probe), which is what happens:
//     that traffic never leaves the pod's network namespace.
//   - Where a spec creates, updates or deletes policies or relabels objects
//     between validations, each validation point is a Step carrying the
//     complete state at that point. "UpdatePolicy" on a policy of the same
//     name replaces it.
//   - Names are the It() titles verbatim. Three titles recur in the UDP and
//     SCTP contexts; those carry the upstream Context text in front, as in
//     Ginkgo's full spec name.

import (
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
)

// UpstreamSpecCount is the number of pod-to-pod connectivity specs in the
// upstream suite, all ported by UpstreamCases.
const UpstreamSpecCount = 48

type np = networkingv1.NetworkPolicy

// UpstreamCases returns the ported upstream specs, in upstream order: the
// specs of the context "NetworkPolicy between server and client" (1–42),
// then those of its UDP (43–45) and SCTP (46–48) variants. The numbers are
// positions in that order.
func UpstreamCases() []Case {
	return slices.Concat(
		upstreamDefaultDenyCases(),    // 1–2
		upstreamSelectorCases(),       // 3–13
		upstreamPortCases(),           // 14–19
		upstreamUpdateCases(),         // 20–22
		upstreamDenyIngressCases(),    // 23–24
		upstreamEgressCases(),         // 25–29
		upstreamAnyPortCases(),        // 30
		upstreamStackingCases(),       // 31–33
		upstreamIPBlockCases(),        // 34–36
		upstreamIndependentCases(),    // 37
		upstreamProtocolCases(),       // 38–40
		upstreamNamespaceLabelCases(), // 41–42
		upstreamUDPCases(),            // 43–45
		upstreamSCTPCases(),           // 46–48
	)
}

// upstreamList collects upstream cases in the order they are added.
type upstreamList []Case

// add appends the upstream spec name with its steps.
func (l *upstreamList) add(name string, steps ...Step) {
	*l = append(*l, Case{Name: name, Upstream: true, Steps: steps})
}

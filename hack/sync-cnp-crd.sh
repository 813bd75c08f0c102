#!/usr/bin/env bash
# Copies the ClusterNetworkPolicy CRD of sigs.k8s.io/network-policy-api, at the version go.mod requires, into
# config/crd/bases unchanged: the experimental channel, which serves what nftpolicy enforces (named ports and
# nodes peers; domainNames is accepted and reported as not enforced). Run it after upgrading the module;
# config's TestClusterNetworkPolicyCRDIsTheModules fails until then. `make manifests` leaves the file alone: it
# only writes the CRDs of api/.
set -euo pipefail
cd "$(dirname "$0")/.."

module=sigs.k8s.io/network-policy-api
crd=policy.networking.k8s.io_clusternetworkpolicies.yaml
dir=$(go mod download -json "$module" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$dir" ] || [ ! -f "$dir/config/crd/experimental/$crd" ]; then
	echo "sync-cnp-crd: no $crd in the module cache for $module (go mod download failed?)" >&2
	exit 1
fi
install -m 0644 "$dir/config/crd/experimental/$crd" "config/crd/bases/$crd"
echo "sync-cnp-crd: config/crd/bases/$crd from $(basename "$dir")"

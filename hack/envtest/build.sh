#!/usr/bin/env bash
# Builds the two binaries envtest runs — kube-apiserver and etcd — from the Go module proxy, because
# setup-envtest's download needs the internet. Versions are pinned by the go.mod/go.sum of the wrapper modules
# next to this script (hack/envtest/kube-apiserver, hack/envtest/etcd). The binaries land in setup-envtest's
# layout, bin/k8s/<version>-<os>-<arch>/, and are not rebuilt when present.
#
# Cold, on 2 cores: kube-apiserver ~10–13 min (peak ~2.4 GB RAM), etcd ~1.5 min; ~200 MiB of module downloads.
# Prints the directory to use as KUBEBUILDER_ASSETS on its last line.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
version=1.37.2
dest=${ENVTEST_BIN_DIR:-$root/bin}/k8s/$version-$(go env GOOS)-$(go env GOARCH)
mkdir -p "$dest"

# build NAME WRAPPER PACKAGE LDFLAGS
build() {
	local name=$1 wrapper=$2 pkg=$3 ldflags=$4
	if [ -x "$dest/$name" ]; then
		echo "envtest: $name $version present in $dest" >&2
		return
	fi
	echo "envtest: building $name from the Go module proxy (cold: minutes; progress every 30 s)" >&2
	local start=$SECONDS
	( while sleep 30; do echo "envtest: still building $name, $((SECONDS - start)) s" >&2; done ) &
	local ticker=$!
	trap 'kill $ticker 2>/dev/null || true' RETURN
	(cd "$root/hack/envtest/$wrapper" &&
		CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$dest/.$name.tmp" "$pkg")
	mv "$dest/.$name.tmp" "$dest/$name"
	echo "envtest: built $name in $((SECONDS - start)) s" >&2
}

ver() { echo "-X $1.gitVersion=v$version -X $1.gitMajor=${version%%.*} -X $1.gitMinor=$(echo "$version" | cut -d. -f2)"; }

build etcd etcd go.etcd.io/etcd/server/v3 "-s -w"
build kube-apiserver kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver \
	"-s -w $(ver k8s.io/component-base/version) $(ver k8s.io/client-go/pkg/version)"
echo "$dest"

#!/usr/bin/env bash
# Builds a Go tool the Makefile needs from the Go module proxy into bin/: `build.sh NAME PACKAGE`. The version is
# pinned by the wrapper module hack/tools/NAME (its go.mod and go.sum, with a `tool` directive), the same way
# hack/envtest pins kube-apiserver and etcd. The binary lands as bin/NAME-VERSION with bin/NAME linking to it,
# and is not rebuilt when present; bumping the version in the wrapper module builds the new one beside it.
#
# controller-gen v0.23.0 cold on 2 busy cores: ~3 min, ~200 MiB of module downloads, ~270 MiB of build cache.
# Prints the binary's path on its last line.
set -euo pipefail

name=$1 pkg=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
wrapper=$root/hack/tools/$name
mod=${pkg%/cmd/*}
version=$(awk -v m="$mod" '$1 == m { print $2; exit }' "$wrapper/go.mod")
if [ -z "$version" ]; then
	echo "tools: $wrapper/go.mod does not require $mod" >&2
	exit 1
fi
bin=${TOOLS_BIN_DIR:-$root/bin}
dest=$bin/$name-$version
mkdir -p "$bin"

if [ ! -x "$dest" ]; then
	echo "tools: building $name $version from the Go module proxy (cold: minutes; progress every 30 s)" >&2
	start=$SECONDS
	( while sleep 30; do echo "tools: still building $name, $((SECONDS - start)) s" >&2; done ) &
	ticker=$!
	trap 'kill $ticker 2>/dev/null || true' EXIT
	(cd "$wrapper" && CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags "-s -w" -o "$dest.tmp.$$" "$pkg")
	mv "$dest.tmp.$$" "$dest"
	echo "tools: built $name $version in $((SECONDS - start)) s" >&2
fi
ln -sfn "$name-$version" "$bin/$name"
echo "$dest"

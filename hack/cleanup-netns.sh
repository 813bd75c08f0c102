#!/usr/bin/env bash
# Delete the network namespaces left behind by crashed or killed runs of the
# real-kernel test harness (test/harness): every netns named nftp-*, or, with
# an argument, every netns whose name starts with that prefix (which must
# itself start with nftp-), e.g. hack/cleanup-netns.sh nftp-3fa9c1-
#
# Careful: without an argument this also removes the namespaces of harness
# tests that are running right now. It touches nothing else: no links,
# addresses, routes or nft tables of the root network namespace.
set -euo pipefail

prefix="${1:-nftp-}"
case "$prefix" in
nftp-*) ;;
*)
	echo "cleanup-netns: prefix must start with nftp-" >&2
	exit 2
	;;
esac

count=0
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
	case "$ns" in
	"$prefix"*) ;;
	*) continue ;;
	esac
	if ip netns delete "$ns"; then
		count=$((count + 1))
	else
		echo "cleanup-netns: could not delete $ns" >&2
	fi
done
echo "cleanup-netns: deleted $count namespace(s)"

#!/usr/bin/env bash
# Fails when the generated files under api/ and config/ (deepcopy, CRDs, the agent's ClusterRole) are not what
# `make manifests generate` writes from the current sources. It compares the tree before and after generating
# rather than against the last commit, so it also holds in a working tree with uncommitted edits; on a fresh
# clone the two are the same check. When it fails, the regenerated files are left in place: review and commit.
set -euo pipefail
cd "$(dirname "$0")/.."

before=$(mktemp -d)
trap 'rm -rf "$before"' EXIT
cp -a api config "$before/"

make --no-print-directory manifests generate >/dev/null

if ! diff -ruN "$before/api" api >"$before/api.diff" || ! diff -ruN "$before/config" config >"$before/config.diff"; then
	cat "$before"/*.diff >&2
	echo "verify-manifests: generated files were out of date (diff above; now regenerated): commit them" >&2
	exit 1
fi
echo "verify-manifests: generated files are up to date"

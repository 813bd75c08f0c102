#!/usr/bin/env bash
# Installs what the tests need from Debian's packages when it is missing: nft (package nftables), ip
# (package iproute2) and setpriv (package util-linux: the capability test runs the kernel layer with only
# CAP_NET_ADMIN). Idempotent; does nothing when all are present.
set -euo pipefail
missing=()
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-deps: need root to install ${missing[*]} (apt-get)" >&2
  exit 1
fi
echo "ensure-deps: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null

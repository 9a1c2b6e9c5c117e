#!/usr/bin/env bash
# Installs what memgrid needs to build and test on a fresh Debian machine
# (run as root).  Quiet when everything is already there.
set -euo pipefail

need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for p in build-essential pkg-config libuv1-dev libyaml-dev libcmocka-dev clang \
         python3-yaml memcached redis-server maven default-jre-headless default-jdk-headless iproute2; do
    have "$p" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
    echo "install-deps: installing ${need_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

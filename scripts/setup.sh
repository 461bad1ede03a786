#!/usr/bin/env bash
# Installs every Debian package Cairn needs to build, test and benchmark.
# Silent when everything is already installed. Uses sudo when not root.
set -euo pipefail

PACKAGES=(
  # Toolchain and build.
  build-essential cmake ninja-build pkg-config ccache clang clang-format clang-tidy
  libclang-rt-14-dev
  # Libraries.
  libprotobuf-dev protobuf-compiler libuv1-dev libsqlite3-dev libnghttp2-dev
  libcli11-dev libyaml-cpp-dev libssl-dev libabsl-dev
  # Tests and benchmarks.
  libgtest-dev libgmock-dev libbenchmark-dev
  # Real etcd for compatibility tests and side-by-side benchmarks.
  etcd-client etcd-server
  # etcd/raft's source (GOPATH layout) and Go, for the etcd/raft benchmark.
  golang-go golang-etcd-server-dev
  # Tools used by tests: curl for the JSON gateway, promtool for /metrics,
  # iproute2 for partition tests, python3 for test drivers.
  curl prometheus iproute2 python3 python3-grpcio python3-protobuf psmisc procps
  # perf, for profiling the server under bench/load/compare.sh.
  linux-perf
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/cairn-setup.log 2>&1; then
  $SUDO apt-get update -q >>/tmp/cairn-setup.log 2>&1
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/cairn-setup.log 2>&1 || {
    echo "setup: apt-get install failed; see /tmp/cairn-setup.log" >&2
    tail -20 /tmp/cairn-setup.log >&2
    exit 1
  }
fi

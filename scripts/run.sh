#!/usr/bin/env bash
# The run command: installs what is missing, builds cairn (Release) and starts
# one member on 127.0.0.1:2379 with the data dir default.cairn (in the current
# directory). Extra arguments go to cairn (etcd's flag names), e.g.
#   ./scripts/run.sh --name n1 --data-dir /var/lib/cairn
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
"$ROOT/scripts/setup.sh"
BUILD_DIR="${BUILD_DIR:-$ROOT/build/release}"
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCAIRN_BUILD_TESTS=OFF -DCAIRN_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" --target cairn -j "$(nproc)"
exec "$BUILD_DIR/server/main/cairn" "$@"

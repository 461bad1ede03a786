#!/usr/bin/env bash
# The test command: installs what is missing, builds everything from scratch
# (or incrementally) and runs every test under ctest.
#
#   ./scripts/test.sh                 # ASan+UBSan build in build/test
#   SANITIZE= ./scripts/test.sh       # plain build
#   SANITIZE=thread ./scripts/test.sh # TSan build
#   CTEST_ARGS="-R raft" ./scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

# ccache keys on relative paths, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

SANITIZE="${SANITIZE-address,undefined}"
BUILD_DIR="${BUILD_DIR:-build/test${SANITIZE:+-${SANITIZE//,/-}}}"
JOBS="${JOBS:-$(nproc)}"

cmake -S . -B "$BUILD_DIR" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCAIRN_WERROR=ON \
  -DCAIRN_SANITIZE="$SANITIZE" \
  -DCAIRN_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j "$JOBS"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$BUILD_DIR"
# shellcheck disable=SC2086
ctest --output-on-failure -j "$JOBS" --timeout 600 ${CTEST_ARGS:-}

#!/usr/bin/env bash
# Runs Cairn's raft benchmark (bench/raft, C++) and the same workload through
# etcd/raft's RawNode (bench/etcdraft, Go, etcd 3.4 from Debian's
# golang-etcd-server-dev) on this machine, interleaved, REPS times each, and
# prints the medians side by side with the ratio etcd/ours, for wall-clock
# time per op and for process CPU time per op (steadier on a shared machine;
# for Go it includes the GC workers' CPU).
#
# Usage: bench/raft/compare.sh            (from anywhere in the checkout)
# Env:   REPS=5        repetitions of each program (the median is reported)
#        BENCHTIME=1   seconds per benchmark per repetition
#        BUILD=<dir>   C++ build directory (default build/bench)
#        ONENODE=1     also run etcd's own BenchmarkOneNode once (reference)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${BUILD:-$root/build/bench}"
reps="${REPS:-5}"
benchtime="${BENCHTIME:-1}"
out="$build/compare"
mkdir -p "$out"

echo "== building the C++ benchmark (Release) in $build" >&2
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCAIRN_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" --target raft_bench -j2 >/dev/null
cxx_bin="$build/bench/raft/raft_bench"

echo "== building the Go benchmark (GOPATH mode, no network)" >&2
gopath="$build/gopath"
mkdir -p "$gopath/src/cairnbench"
ln -sfn "$root/bench/etcdraft" "$gopath/src/cairnbench/etcdraft"
export GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOPROXY=off \
  GOFLAGS= GOCACHE="$build/gocache"
go test -c -o "$out/etcdraft.test" cairnbench/etcdraft
if [[ "${ONENODE:-0}" == 1 ]]; then
  go test -c -o "$out/etcdraft_pkg.test" go.etcd.io/etcd/raft
fi

for i in $(seq 1 "$reps"); do
  echo "== repetition $i/$reps" >&2
  "$cxx_bin" --benchmark_min_time="$benchtime" --benchmark_format=json \
    --benchmark_filter='BM_ProposeCommitApply' >"$out/cxx_$i.json"
  "$out/etcdraft.test" -test.run '^$' -test.bench 'ProposeCommitApply' \
    -test.benchmem -test.benchtime "${benchtime}s" >"$out/go_$i.txt"
done

python3 - "$out" "$reps" <<'PY'
import json, re, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])
# (variant, voters) -> list of (wall ns/op, cpu ns/op, allocs/op, bytes/op),
# one tuple per run.
ours, etcd = {}, {}
unit = {"ns": 1, "us": 1e3, "ms": 1e6}
for i in range(1, reps + 1):
    for b in json.load(open(f"{out}/cxx_{i}.json"))["benchmarks"]:
        m = re.match(r"BM_ProposeCommitApply(\w*)/voters:(\d+)", b["name"])
        if not m or b.get("run_type") != "iteration" or "error_occurred" in b:
            continue
        u = unit[b["time_unit"]]
        ours.setdefault((m.group(1), int(m.group(2))), []).append(
            (b["real_time"] * u, b["cpu_time"] * u, b["allocs/op"],
             b["bytes/op"]))
    for line in open(f"{out}/go_{i}.txt"):
        m = re.match(r"BenchmarkProposeCommitApply(\w*)/voters=(\d+)\S*\s+\d+"
                     r"\s+([\d.]+) ns/op\s+([\d.]+) cpu-ns/op"
                     r"\s+(\d+) B/op\s+(\d+) allocs/op", line)
        if m:
            etcd.setdefault((m.group(1), int(m.group(2))), []).append(
                (float(m.group(3)), float(m.group(4)), float(m.group(6)),
                 float(m.group(5))))

nan = float("nan")
def med(runs, k):
    return statistics.median(r[k] for r in runs) if runs else nan

keys = sorted(set(ours) | set(etcd))
print(f"propose->commit->apply, 128-byte payloads, median of {reps} runs"
      " each; ratio = etcd / ours")
print(f"{'workload':<16} {'wall ns/op':>17} {'ratio':>6}"
      f" {'cpu ns/op':>17} {'ratio':>6} {'allocs/op':>13} {'B/op':>11}")
print(f"{'':<16} {'ours':>8} {'etcd':>8} {'':>6} {'ours':>8} {'etcd':>8}"
      f" {'':>6} {'ours':>6} {'etcd':>6} {'ours':>5} {'etcd':>5}")
for key in keys:
    o, e = ours.get(key), etcd.get(key)
    name = f"{key[1]} voter{'s' if key[1] > 1 else ''}" + (
        " fresh" if key[0] == "Fresh" else "")
    print(f"{name:<16} {med(o, 0):>8.0f} {med(e, 0):>8.0f}"
          f" {med(e, 0) / med(o, 0):>5.1f}x"
          f" {med(o, 1):>8.0f} {med(e, 1):>8.0f}"
          f" {med(e, 1) / med(o, 1):>5.1f}x"
          f" {med(o, 2):>6.2f} {med(e, 2):>6.0f}"
          f" {med(o, 3):>5.0f} {med(e, 3):>5.0f}")
print("spread of wall ns/op over the runs (min..max):")
for key in keys:
    o, e = ours.get(key, []), etcd.get(key, [])
    print(f"  {key[1]} voter(s) {key[0] or 'shared'}: ours"
          f" {min((r[0] for r in o), default=nan):.0f}.."
          f"{max((r[0] for r in o), default=nan):.0f}, etcd"
          f" {min((r[0] for r in e), default=nan):.0f}.."
          f"{max((r[0] for r in e), default=nan):.0f}")
PY

if [[ "${ONENODE:-0}" == 1 ]]; then
  echo "== etcd's own BenchmarkOneNode (node + goroutines, 1 ms sleep per" \
    "Ready: a reference, not comparable)"
  "$out/etcdraft_pkg.test" -test.run '^$' -test.bench 'BenchmarkOneNode' \
    -test.benchmem 2>/dev/null | grep -E '^BenchmarkOneNode' || true
fi

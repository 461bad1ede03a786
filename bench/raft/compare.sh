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

# Everything is in main(), so bash parses the whole script before running
# it: editing this file during a run cannot change the running one.
main() {

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

echo "== checking both drivers (each workload with its checks)" >&2
"$cxx_bin" --smoke >&2
"$out/etcdraft.test" -test.run 'Test' >&2

for i in $(seq 1 "$reps"); do
  echo "== repetition $i/$reps" >&2
  "$cxx_bin" --benchmark_min_time="$benchtime" --benchmark_format=json \
    --benchmark_filter='BM_(ProposeCommitApply|ReadIndex)' >"$out/cxx_$i.json"
  "$out/etcdraft.test" -test.run '^$' \
    -test.bench 'ProposeCommitApply|ReadIndex' \
    -test.benchmem -test.benchtime "${benchtime}s" >"$out/go_$i.txt"
done

python3 - "$out" "$reps" <<'PY'
import json, re, statistics, sys
out, reps = sys.argv[1], int(sys.argv[2])

def label(kind, variant, n):
    if kind == "ReadIndex":
        return f"read, {n} pending"
    extra = {"": "", "Fresh": " fresh", "Async": " async"}[variant]
    return f"{n} voter{'s' if n > 1 else ''}{extra}"

# label -> list of (wall ns/op, cpu ns/op, allocs/op, bytes/op), one per run.
# For ReadIndex an op is one read.
ours, etcd, order = {}, {}, []
unit = {"ns": 1, "us": 1e3, "ms": 1e6}
for i in range(1, reps + 1):
    for b in json.load(open(f"{out}/cxx_{i}.json"))["benchmarks"]:
        m = re.match(r"BM_(ProposeCommitApply|ReadIndex)(\w*)/\w+:(\d+)",
                     b["name"])
        if not m or b.get("run_type") != "iteration" or "error_occurred" in b:
            continue
        n = int(m.group(3))
        per = n if m.group(1) == "ReadIndex" else 1
        suffix = "/read" if m.group(1) == "ReadIndex" else "/op"
        key = label(m.group(1), m.group(2), n)
        if key not in order:
            order.append(key)
        u = unit[b["time_unit"]] / per
        ours.setdefault(key, []).append(
            (b["real_time"] * u, b["cpu_time"] * u, b["allocs" + suffix],
             b["bytes" + suffix]))
    for line in open(f"{out}/go_{i}.txt"):
        m = re.match(r"Benchmark(ProposeCommitApply|ReadIndex)(\w*)/\w+=(\d+)"
                     r"\S*\s+\d+\s+([\d.]+) ns/op\s+([\d.]+) cpu-ns/op"
                     r"\s+(\d+) B/op\s+(\d+) allocs/op", line)
        if m:
            key = label(m.group(1), m.group(2), int(m.group(3)))
            etcd.setdefault(key, []).append(
                (float(m.group(4)), float(m.group(5)), float(m.group(7)),
                 float(m.group(6))))

nan = float("nan")
def med(runs, k):
    return statistics.median(r[k] for r in runs) if runs else nan

keys = order + [k for k in etcd if k not in order]
print(f"raft: 128-byte proposals (propose->commit->apply) and ReadIndex"
      f" (3 voters), median of {reps} runs each; ratio = etcd / ours")
print(f"{'workload':<17} {'wall ns/op':>17} {'ratio':>6}"
      f" {'cpu ns/op':>17} {'ratio':>6} {'allocs/op':>13} {'B/op':>11}")
print(f"{'':<17} {'ours':>8} {'etcd':>8} {'':>6} {'ours':>8} {'etcd':>8}"
      f" {'':>6} {'ours':>6} {'etcd':>6} {'ours':>5} {'etcd':>5}")
for key in keys:
    o, e = ours.get(key), etcd.get(key)
    print(f"{key:<17} {med(o, 0):>8.0f} {med(e, 0):>8.0f}"
          f" {med(e, 0) / med(o, 0):>5.1f}x"
          f" {med(o, 1):>8.0f} {med(e, 1):>8.0f}"
          f" {med(e, 1) / med(o, 1):>5.1f}x"
          f" {med(o, 2):>6.2f} {med(e, 2):>6.0f}"
          f" {med(o, 3):>5.0f} {med(e, 3):>5.0f}")
print("spread over the runs, min..max (wall ns/op | cpu ns/op):")
for key in keys:
    o, e = ours.get(key, []), etcd.get(key, [])
    def rng(runs, k):
        return (f"{min((r[k] for r in runs), default=nan):.0f}.."
                f"{max((r[k] for r in runs), default=nan):.0f}")
    print(f"  {key:<17} ours {rng(o, 0)} | {rng(o, 1)};"
          f" etcd {rng(e, 0)} | {rng(e, 1)}")
PY

if [[ "${ONENODE:-0}" == 1 ]]; then
  echo "== etcd's own BenchmarkOneNode (node + goroutines, 1 ms sleep per" \
    "Ready: a reference, not comparable)"
  "$out/etcdraft_pkg.test" -test.run '^$' -test.bench 'BenchmarkOneNode' \
    -test.benchmem 2>/dev/null | grep -E '^BenchmarkOneNode' || true
fi
}

main "$@"

#!/usr/bin/env bash
# Side-by-side load test: one cairn member and one etcd 3.4 member (Debian's
# etcd-server) on this machine, the same stock etcd Go client (cairnload)
# against each, alternating, REPS times; prints the median of each figure and
# the ratio cairn/etcd. Also prints this disk's fdatasync latency, which
# bounds the latency of any durable write.
#
#   bench/load/compare.sh                     # REPS=3 TOTAL=10000
#   REPS=5 TOTAL=20000 bench/load/compare.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REPS="${REPS:-3}"
TOTAL="${TOTAL:-10000}"
BUILD="${BUILD:-$ROOT/build/bench}"
WORK="$(mktemp -d /tmp/cairn-load-XXXXXX)"
# start_member runs in a command substitution (a subshell), so the members'
# PIDs go to a file the cleanup reads.
cleanup() {
  if [ -f "$WORK/pids" ]; then
    while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$WORK/pids"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$ROOT/scripts/setup.sh"
echo "== building cairn (Release) and cairnload" >&2
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCAIRN_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD" --target cairn >/dev/null
GOPATH_DIR="$BUILD/gopath"
mkdir -p "$GOPATH_DIR/src"
ln -sfn "$ROOT/bench/load/cairnload" "$GOPATH_DIR/src/cairnload"
GOPATH="$GOPATH_DIR:/usr/share/gocode" GO111MODULE=off GOPROXY=off GOFLAGS= \
  GOCACHE="$BUILD/gocache" go build -o "$BUILD/cairnload" cairnload

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
start_member() {  # flavor name -> echoes client port
  local bin="$1" name="$2" cp pp
  cp="$(free_port)"; pp="$(free_port)"
  "$bin" --name "$name" --data-dir "$WORK/$name.data" \
    --listen-client-urls "http://127.0.0.1:$cp" \
    --advertise-client-urls "http://127.0.0.1:$cp" \
    --listen-peer-urls "http://127.0.0.1:$pp" \
    --initial-advertise-peer-urls "http://127.0.0.1:$pp" \
    --initial-cluster "$name=http://127.0.0.1:$pp" \
    >"$WORK/$name.log" 2>&1 &
  echo "$!" >>"$WORK/pids"
  for _ in $(seq 100); do
    if ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$cp" endpoint health \
         >/dev/null 2>&1; then
      echo "$cp"; return
    fi
    sleep 0.1
  done
  echo "member $name did not start; log:" >&2; cat "$WORK/$name.log" >&2
  exit 1
}

echo "== disk: fdatasync latency of $WORK" >&2
/usr/bin/python3 - "$WORK" <<'PY'
import os, statistics, sys, time
path = os.path.join(sys.argv[1], "fsync.probe")
fd = os.open(path, os.O_CREAT | os.O_WRONLY)
os.write(fd, b"\0" * (1 << 20)); os.fsync(fd)
lat = []
for i in range(300):
    os.pwrite(fd, b"x" * 128, (i * 128) % (1 << 20))
    t = time.perf_counter(); os.fdatasync(fd); lat.append(time.perf_counter() - t)
os.close(fd); os.unlink(path)
lat.sort()
print("fdatasync: median %.0f us, p99 %.0f us" % (lat[150] * 1e6, lat[296] * 1e6))
PY

CAIRN_PORT="$(start_member "$BUILD/server/main/cairn" cairn)"
ETCD_PORT="$(start_member etcd etcd)"

# "op clients conns" per line; WORKLOADS in the environment replaces the
# list, e.g. WORKLOADS=$'gwput 1 1\ngwput 16 4' for the JSON gateway;
# further words on a line are cairnload flags (watch_compare.sh uses them).
if [ -n "${WORKLOADS:-}" ]; then
  mapfile -t WORKLOADS <<<"$WORKLOADS"
else
  WORKLOADS=(
    "put 1 1"
    "put 16 4"
    "put 100 10"
    "range 100 10"
    "range-s 100 10"
    "keepalive 1 1"
    "keepalive 100 10"
  )
fi
RESULTS="$WORK/results.jsonl"
for rep in $(seq "$REPS"); do
  for w in "${WORKLOADS[@]}"; do
    # Words after the third are extra cairnload flags (e.g. --writes 200).
    read -r op clients conns rest <<<"$w"
    read -r -a extra <<<"${rest:-}"
    [ "$op" = "range-s" ] && { op=range; extra+=(--serializable); }
    total="$TOTAL"
    [ "$clients" = 1 ] && total=$((TOTAL / 5))
    for target in cairn etcd; do
      port="$CAIRN_PORT"; [ "$target" = etcd ] && port="$ETCD_PORT"
      "$BUILD/cairnload" --endpoints "127.0.0.1:$port" --op "$op" \
        --clients "$clients" --conns "$conns" --total "$total" \
        --label "$target" "${extra[@]}" >>"$RESULTS" || true
    done
  done
done

# RESULTS_OUT keeps every run's JSON line (watch_compare.sh reads more
# fields from it).
[ -n "${RESULTS_OUT:-}" ] && cp "$RESULTS" "$RESULTS_OUT"
/usr/bin/python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = []
for r in rows:
    k = (r["op"], r["clients"], r["conns"])
    if k not in keys: keys.append(k)
def med(target, k, field):
    v = [r[field] for r in rows if r["label"] == target and (r["op"], r["clients"], r["conns"]) == k]
    return statistics.median(v) if v else float("nan")
print("%-20s %7s | %10s %10s %6s | %8s %8s %6s | %8s %8s" % (
    "workload", "clients", "cairn op/s", "etcd op/s", "ratio",
    "cairn p99", "etcd p99", "ratio", "cairn p50", "etcd p50"))
for k in keys:
    c, e = med("cairn", k, "ops_per_sec"), med("etcd", k, "ops_per_sec")
    cp, ep = med("cairn", k, "p99_ms"), med("etcd", k, "p99_ms")
    c5, e5 = med("cairn", k, "p50_ms"), med("etcd", k, "p50_ms")
    print("%-20s %7d | %10.0f %10.0f %5.2fx | %7.2fms %7.2fms %5.2fx | %7.2fms %7.2fms" % (
        k[0], k[1], c, e, c / e, cp, ep, ep / cp if cp else float("nan"), c5, e5))
errs = [r for r in rows if r["errors"]]
for r in errs:
    print("errors: %s %s %d: %s" % (r["label"], r["op"], r["errors"], r.get("first_error", "")))
PY

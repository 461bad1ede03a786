#!/usr/bin/env bash
# Side-by-side load test: a cairn cluster and an etcd 3.4 cluster (Debian's
# etcd-server) of MEMBERS members each (default 1) on loopback, the same
# stock etcd Go client (cairnload) against each, alternating, REPS times;
# prints the median of each figure and the ratio cairn/etcd. Also prints
# this disk's fdatasync latency, which bounds the latency of any durable
# write, and the load average. Every process it starts is killed on exit.
#
#   bench/load/compare.sh                     # REPS=3 TOTAL=10000, 1 member
#   MEMBERS=3 REPS=3 TOTAL=10000 bench/load/compare.sh   # 3-member clusters
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
REPS="${REPS:-3}"
MEMBERS="${MEMBERS:-1}"
TOTAL="${TOTAL:-10000}"
BUILD="${BUILD:-$ROOT/build/bench}"
WORK="$(mktemp -d /tmp/cairn-load-XXXXXX)"
# The members' PIDs go to a file the cleanup reads (so that a function run
# in a subshell can add to it too).
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
# start_cluster binary flavor n: starts n members named <flavor>0.. on free
# loopback ports and waits until each answers; leaves their client URLs,
# comma-separated, in $WORK/<flavor>.endpoints.
start_cluster() {
  local bin="$1" flavor="$2" n="$3" i cps=() pps=() initial=""
  for ((i = 0; i < n; i++)); do
    cps+=("$(free_port)"); pps+=("$(free_port)")
    initial+="${initial:+,}$flavor$i=http://127.0.0.1:${pps[i]}"
  done
  for ((i = 0; i < n; i++)); do
    "$bin" --name "$flavor$i" --data-dir "$WORK/$flavor$i.data" \
      --listen-client-urls "http://127.0.0.1:${cps[i]}" \
      --advertise-client-urls "http://127.0.0.1:${cps[i]}" \
      --listen-peer-urls "http://127.0.0.1:${pps[i]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${pps[i]}" \
      --initial-cluster "$initial" --initial-cluster-state new \
      --initial-cluster-token "$flavor-bench" \
      >"$WORK/$flavor$i.log" 2>&1 &
    echo "$!" >>"$WORK/pids"
    disown  # No "Killed" line from bash when the cleanup kills it.
  done
  local eps=""
  for ((i = 0; i < n; i++)); do eps+="${eps:+,}127.0.0.1:${cps[i]}"; done
  for _ in $(seq 300); do
    if ETCDCTL_API=3 etcdctl --endpoints "$eps" endpoint health \
         >/dev/null 2>&1; then
      echo "$eps" >"$WORK/$flavor.endpoints"; return
    fi
    sleep 0.1
  done
  echo "cluster $flavor did not start; logs:" >&2
  tail -n 20 "$WORK/$flavor"*.log >&2
  exit 1
}
# leader_endpoint flavor: the client URL of the member that is leader now.
leader_endpoint() {
  ETCDCTL_API=3 etcdctl --endpoints "$(cat "$WORK/$1.endpoints")" \
    endpoint status -w json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for s in json.load(sys.stdin):
    st = s["Status"]
    if st["header"]["member_id"] == st["leader"]:
        print(s["Endpoint"]); break'
}

echo "== load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
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

start_cluster "$BUILD/server/main/cairn" cairn "$MEMBERS"
start_cluster etcd etcd "$MEMBERS"
TARGETS=(cairn etcd)
# BASELINE=<a cairn binary>: a third cluster run by that binary joins the
# rotation, and a second table compares cairn with it (before/after figures
# of a change, measured side by side).
if [ -n "${BASELINE:-}" ]; then
  start_cluster "$BASELINE" base "$MEMBERS"
  TARGETS+=(base)
fi

# "op clients conns [to] [flags]" per line; `to` is which members the
# clients dial: all (the default; the client spreads its calls over them, as
# etcd's benchmark tool does) or leader; further words are cairnload flags
# (watch_compare.sh uses them). WORKLOADS in the environment replaces the
# list, e.g. WORKLOADS=$'gwput 1 1\ngwput 16 4' for the JSON gateway.
if [ -n "${WORKLOADS:-}" ]; then
  mapfile -t WORKLOADS <<<"$WORKLOADS"
elif [ "$MEMBERS" -gt 1 ]; then
  WORKLOADS=(
    "put 1 1 all"
    "put 1 1 leader"
    "put 16 4 all"
    "put 16 4 leader"
    "put 100 10 all"
    "put 100 10 leader"
    "put 256 16 all"
    "put 256 16 leader"
    "range 100 10 all"
    "range-s 100 10 all"
  )
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
    read -r op clients conns rest <<<"$w"
    to=all
    case "${rest%% *}" in
      all | leader) to="${rest%% *}"; rest="${rest#"$to"}" ;;
    esac
    read -r -a extra <<<"${rest:-}"
    name=""
    [ "$MEMBERS" -gt 1 ] && name="$to"
    [ "$op" = "range-s" ] && { op=range; extra+=(--serializable); }
    [ -n "${rest// /}" ] && name+="${name:+ }${rest# }"
    total="$TOTAL"
    [ "$clients" = 1 ] && total=$((TOTAL / 5))
    for target in "${TARGETS[@]}"; do
      eps="$(cat "$WORK/$target.endpoints")"
      [ "$to" = leader ] && eps="$(leader_endpoint "$target")"
      "$BUILD/cairnload" --endpoints "$eps" --op "$op" \
        --clients "$clients" --conns "$conns" --total "$total" \
        --label "$target${name:+ $name}" "${extra[@]}" \
        >>"$RESULTS" || true
    done
  done
done
echo "== load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

# RESULTS_OUT keeps every run's JSON line (watch_compare.sh reads more
# fields from it).
[ -n "${RESULTS_OUT:-}" ] && cp "$RESULTS" "$RESULTS_OUT"
/usr/bin/python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
for r in rows:  # label: "<target>[ <to>][ flags]"
    target, _, rest = r["label"].partition(" ")
    r["target"], r["op"] = target, (r["op"] + " " + rest).strip()
keys = []
for r in rows:
    k = (r["op"], r["clients"], r["conns"])
    if k not in keys: keys.append(k)
def med(target, k, field):
    v = [r[field] for r in rows if r["target"] == target and (r["op"], r["clients"], r["conns"]) == k]
    return statistics.median(v) if v else float("nan")
def table(a, b):
    print("%-24s %7s | %10s %10s %6s | %8s %8s %6s | %8s %8s" % (
        "workload", "clients", a + " op/s", b + " op/s", "ratio",
        a + " p99", b + " p99", "ratio", a + " p50", b + " p50"))
    for k in keys:
        c, e = med(a, k, "ops_per_sec"), med(b, k, "ops_per_sec")
        cp, ep = med(a, k, "p99_ms"), med(b, k, "p99_ms")
        c5, e5 = med(a, k, "p50_ms"), med(b, k, "p50_ms")
        print("%-24s %7d | %10.0f %10.0f %5.2fx | %7.2fms %7.2fms %5.2fx | %7.2fms %7.2fms" % (
            k[0], k[1], c, e, c / e, cp, ep, ep / cp if cp else float("nan"), c5, e5))
table("cairn", "etcd")
if any(r["target"] == "base" for r in rows):
    print()
    table("cairn", "base")
errs = [r for r in rows if r["errors"]]
for r in errs:
    print("errors: %s %s %d: %s" % (r["label"], r["op"], r["errors"], r.get("first_error", "")))
PY

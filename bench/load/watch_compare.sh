#!/usr/bin/env bash
# Watch side by side with etcd 3.4: compare.sh with the watch workloads of
# cairnload (bench/load/cairnload/watch.go), REPS=1 unless set.
#
#   watch-latency 1      one watcher, one writer putting one key every 5 ms;
#                        p50/p99 from issuing a put to the event's delivery
#   watch-latency 1000   the same with 1,000 watchers of the key on 100
#                        streams over 10 connections
#   watch-throughput     1,000 watchers of a prefix on 100 streams over 10
#                        connections, 16 writers putting as fast as they
#                        can; "op/s" is events delivered per second
#
# After compare.sh's table, a second one gives, per workload, the median
# time from a put's acknowledgement to its event (0 when the event came
# first) and the rate of the puts themselves.
#
#   bench/load/watch_compare.sh
#   REPS=3 WRITES=2000 bench/load/watch_compare.sh
set -euo pipefail
W="${WRITES:-1000}"
export REPS="${REPS:-1}"
export WORKLOADS="watch-latency 1 1 --writes $W
watch-latency 1000 10 --streams 100 --writes $((W / 4))
watch-throughput 1000 10 --streams 100 --writes $W"
RESULTS_OUT="$(mktemp /tmp/cairn-watch-results-XXXXXX)"
export RESULTS_OUT
trap 'rm -f "$RESULTS_OUT"' EXIT
"$(dirname "$0")/compare.sh"
/usr/bin/python3 - "$RESULTS_OUT" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows:  # compare.sh's label: "<target> <to>[ flags]"
    r["target"], r["rest"] = (r["label"].split(" ", 1) + [""])[:2]
keys = []
for r in rows:
    k = (r["op"], r["clients"], r["rest"])
    if k not in keys: keys.append(k)
def med(target, k, f):
    v = [r[f] for r in rows if r["target"] == target and (r["op"], r["clients"], r["rest"]) == k and f in r]
    return statistics.median(v) if v else float("nan")
print("%-20s %7s | %13s %13s | %13s %13s | %9s %9s" % (
    "workload", "clients", "cairn ack p50", "etcd ack p50",
    "cairn ack p99", "etcd ack p99", "cairn put/s", "etcd put/s"))
for k in keys:
    if k[0] != "watch-latency":  # No ack times: the writers do not pace.
        print("%-20s %7d | %13s %13s | %13s %13s | %11.0f %9.0f" % (
            k[0], k[1], "-", "-", "-", "-",
            med("cairn", k, "puts_per_sec"), med("etcd", k, "puts_per_sec")))
        continue
    print("%-20s %7d | %11.2fms %11.2fms | %11.2fms %11.2fms | %11.0f %9.0f" % (
        k[0], k[1], med("cairn", k, "ack_p50_ms"), med("etcd", k, "ack_p50_ms"),
        med("cairn", k, "ack_p99_ms"), med("etcd", k, "ack_p99_ms"),
        med("cairn", k, "puts_per_sec"), med("etcd", k, "puts_per_sec")))
PY

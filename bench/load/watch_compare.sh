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
#   bench/load/watch_compare.sh
#   REPS=3 WRITES=2000 bench/load/watch_compare.sh
set -euo pipefail
W="${WRITES:-1000}"
export REPS="${REPS:-1}"
export WORKLOADS="watch-latency 1 1 --writes $W
watch-latency 1000 10 --streams 100 --writes $((W / 4))
watch-throughput 1000 10 --streams 100 --writes $W"
exec "$(dirname "$0")/compare.sh"

#pragma once

// The metrics recorded below the member, in the process-wide registry
// (metrics::Default()), under etcd's names. The member adds the ones read
// at scrape time (has_leader, db size, watchers...) to its own registry;
// docs/operations.md lists them all.
//
//   auto start = std::chrono::steady_clock::now();
//   ... fdatasync ...
//   metrics::Server().wal_fsync->Observe(metrics::SecondsSince(start));

#include <chrono>

#include "server/metrics/registry.h"

namespace server::metrics {

struct ServerMetrics {
  // etcd_disk_wal_fsync_duration_seconds: each WAL fdatasync.
  Histogram* wal_fsync;
  // etcd_disk_backend_commit_duration_seconds: each commit of a batch of
  // applied entries to the SQLite store.
  Histogram* backend_commit;
  // etcd_server_leader_changes_seen_total.
  Counter* leader_changes;
  // etcd_server_proposals_failed_total: proposals refused (no leader,
  // dropped) or timed out.
  Counter* proposals_failed;
  // etcd_network_client_grpc_{received,sent}_bytes_total: gRPC message
  // bytes from and to clients.
  Counter* grpc_received_bytes;
  Counter* grpc_sent_bytes;
  // etcd_network_peer_{received,sent}_bytes_total: raft traffic with peers.
  Counter* peer_received_bytes;
  Counter* peer_sent_bytes;
  // grpc_server_started_total / grpc_server_handled_total with labels
  // grpc_type, grpc_service, grpc_method (and grpc_code when handled).
  CounterVec* grpc_started;
  CounterVec* grpc_handled;
  // etcd's lessor metrics: etcd_debugging_lease_granted_total and
  // etcd_debugging_lease_revoked_total count grants and revokes as each
  // member applies them; etcd_debugging_lease_renewed_total counts
  // keep-alives the primary renewed; cairn_debugging_lease_ttl_seconds is
  // the histogram of granted TTLs in seconds (buckets 1, 2, ... 8192),
  // etcd's etcd_debugging_lease_ttl_total under a name promtool accepts.
  Counter* lease_granted;
  Counter* lease_revoked;
  Counter* lease_renewed;
  Histogram* lease_ttl;
  // etcd_server_health_success / etcd_server_health_failures: GET /health
  // answers. Exported untyped: etcd's counters lack the "_total" suffix the
  // Prometheus linter wants of counters.
  Counter* health_success;
  Counter* health_failures;
};

// Registers the metrics in Default() on first use.
const ServerMetrics& Server();

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace server::metrics

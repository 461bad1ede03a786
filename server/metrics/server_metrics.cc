#include "server/metrics/server_metrics.h"

#include <utility>
#include <vector>

#include "server/metrics/process_metrics.h"

namespace server::metrics {

const ServerMetrics& Server() {
  static const ServerMetrics* m = [] {
    Registry& r = Default();
    auto* s = new ServerMetrics;
    s->wal_fsync =
        r.AddHistogram("etcd_disk_wal_fsync_duration_seconds",
                       "The latency distributions of fsync called by WAL.",
                       EtcdLatencyBuckets());
    s->backend_commit =
        r.AddHistogram("etcd_disk_backend_commit_duration_seconds",
                       "The latency distributions of commit called by backend.",
                       EtcdLatencyBuckets());
    s->leader_changes = r.AddCounter("etcd_server_leader_changes_seen_total",
                                     "The number of leader changes seen.");
    s->proposals_failed =
        r.AddCounter("etcd_server_proposals_failed_total",
                     "The total number of failed proposals seen.");
    s->grpc_received_bytes =
        r.AddCounter("etcd_network_client_grpc_received_bytes_total",
                     "The total number of bytes received from grpc clients.");
    s->grpc_sent_bytes =
        r.AddCounter("etcd_network_client_grpc_sent_bytes_total",
                     "The total number of bytes sent to grpc clients.");
    s->peer_received_bytes =
        r.AddCounter("etcd_network_peer_received_bytes_total",
                     "The total number of bytes received from peers.");
    s->peer_sent_bytes =
        r.AddCounter("etcd_network_peer_sent_bytes_total",
                     "The total number of bytes sent to peers.");
    s->grpc_started =
        r.AddCounterVec("grpc_server_started_total",
                        "Total number of RPCs started on the server.",
                        {"grpc_method", "grpc_service", "grpc_type"});
    s->grpc_handled = r.AddCounterVec(
        "grpc_server_handled_total",
        "Total number of RPCs completed on the server, regardless of success "
        "or failure.",
        {"grpc_code", "grpc_method", "grpc_service", "grpc_type"});
    s->lease_granted = r.AddCounter("etcd_debugging_lease_granted_total",
                                    "The total number of granted leases.");
    s->lease_revoked = r.AddCounter("etcd_debugging_lease_revoked_total",
                                    "The total number of revoked leases.");
    s->lease_renewed =
        r.AddCounter("etcd_debugging_lease_renewed_total",
                     "The number of renewed leases seen by the leader.");
    std::vector<double> ttl_buckets;  // ExponentialBuckets(1, 2, 14)
    for (double b = 1; ttl_buckets.size() < 14; b *= 2) {
      ttl_buckets.push_back(b);
    }
    // etcd calls this histogram etcd_debugging_lease_ttl_total; promtool
    // refuses "_total" on a histogram, so it is exported under a name of
    // our own and the output lints clean.
    s->lease_ttl =
        r.AddHistogram("cairn_debugging_lease_ttl_seconds",
                       "Bucketed histogram of granted lease TTLs (etcd: "
                       "etcd_debugging_lease_ttl_total).",
                       std::move(ttl_buckets));
    s->health_success = new Counter;
    s->health_failures = new Counter;
    const Counter* ok = s->health_success;
    const Counter* failed = s->health_failures;
    r.AddGaugeFunc(
        "etcd_server_health_success",
        "The total number of successful health checks",
        [ok] { return static_cast<double>(ok->value()); }, "untyped");
    r.AddGaugeFunc(
        "etcd_server_health_failures",
        "The total number of failed health checks",
        [failed] { return static_cast<double>(failed->value()); }, "untyped");
    RegisterProcessMetrics(&r);
    return s;
  }();
  return *m;
}

}  // namespace server::metrics

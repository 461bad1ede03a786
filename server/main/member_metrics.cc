#include "server/main/member_metrics.h"

#include <algorithm>
#include <string>
#include <vector>

#include "server/api/services.h"
#include "server/config/ids.h"
#include "server/http/cors.h"
#include "server/metrics/server_metrics.h"

namespace server {

void RegisterMemberMetrics(const MemberMetricsSources& s,
                           metrics::Registry* r) {
  const Node* node = s.node;
  kvstore::Store* store = s.store;
  const api::WatchHub* hub = s.watch_hub;
  auto d = [](auto v) { return static_cast<double>(v); };
  r->AddGaugeFunc("etcd_server_has_leader",
                  "Whether or not a leader exists. 1 is existence, 0 is not.",
                  [node] { return node->leader() != 0 ? 1.0 : 0.0; });
  r->AddGaugeFunc(
      "etcd_server_is_leader",
      "Whether or not this member is a leader. 1 if is, 0 otherwise.",
      [node] { return node->is_leader() ? 1.0 : 0.0; });
  // etcd exports these two as gauges; they only grow, and as counters the
  // Prometheus linter accepts their "_total" names.
  r->AddGaugeFunc(
      "etcd_server_proposals_committed_total",
      "The total number of consensus proposals committed.",
      [node, d] { return d(node->commit_index()); }, "counter");
  r->AddGaugeFunc(
      "etcd_server_proposals_applied_total",
      "The total number of consensus proposals applied.",
      [node, d] { return d(node->applied_index()); }, "counter");
  r->AddGaugeFunc("etcd_server_proposals_pending",
                  "The current number of pending proposals to commit.",
                  [node, d] { return d(node->pending_proposals()); });
  r->AddGaugeFunc(
      "etcd_server_id",
      "Server or member ID in hexadecimal format. 1 for 'server_id' label "
      "with current ID.",
      [] { return 1.0; }, "gauge",
      {{"server_id", FormatId(node->member_id())}});
  r->AddGaugeFunc(
      "etcd_server_version",
      "Which version is running. 1 for 'server_version' label with current "
      "version.",
      [] { return 1.0; }, "gauge", {{"server_version", api::kServerVersion}});
  const double quota = d(s.quota_backend_bytes);
  r->AddGaugeFunc("etcd_server_quota_backend_bytes",
                  "Current backend storage quota size in bytes.",
                  [quota] { return quota; });
  r->AddGaugeFunc(
      "etcd_mvcc_db_total_size_in_bytes",
      "Total size of the underlying database physically allocated in bytes.",
      [store, d] { return d(store->CachedDbSize()); });
  r->AddGaugeFunc(
      "etcd_mvcc_db_total_size_in_use_in_bytes",
      "Total size of the underlying database logically in use in bytes.",
      [store, d] { return d(store->CachedDbSizeInUse()); });
  r->AddGaugeFunc("etcd_debugging_mvcc_current_revision",
                  "The current revision of store.",
                  [store, d] { return d(store->CurrentRevision()); });
  r->AddGaugeFunc("etcd_debugging_mvcc_compact_revision",
                  "The revision of the last compaction in store.", [store, d] {
                    return d(std::max<int64_t>(0, store->CompactRevision()));
                  });
  // Gauges whose etcd names end in "_total": untyped, which the linter
  // accepts (promtool flags a non-counter named "_total").
  r->AddGaugeFunc(
      "etcd_debugging_mvcc_watcher_total", "Total number of watchers.",
      [hub, d] { return d(hub->synced_count() + hub->unsynced_count()); },
      "untyped");
  r->AddGaugeFunc(
      "etcd_debugging_mvcc_slow_watcher_total",
      "Total number of unsynced slow watchers.",
      [hub, d] { return d(hub->unsynced_count()); }, "untyped");
  r->AddGaugeFunc(
      "etcd_debugging_mvcc_watch_stream_total",
      "Total number of watch streams.",
      [hub, d] { return d(hub->stream_count()); }, "untyped");
}

void RegisterMetricsEndpoint(const metrics::Registry* member,
                             http::HttpRouter* router) {
  metrics::Server();  // Registers the process-wide metrics.
  // etcd's promhttp handler answers every method alike.
  router->Handle("/metrics", [member](const http::HttpRequest& /*req*/,
                                      http::ResponderPtr resp) {
    resp->Send(200, "text/plain; version=0.0.4; charset=utf-8",
               metrics::Render({member, &metrics::Default()}), http::Cors());
  });
}

}  // namespace server

#pragma once

// The member's metrics read at scrape time (leader, proposals, database,
// watchers) and GET /metrics, which renders them with the process-wide
// ones (metrics::Default(): WAL fsync, backend commit, gRPC, peers,
// process) in the Prometheus text format 0.0.4. docs/operations.md lists
// every metric.
//
// Thread safety: loop thread only (the gauge functions read loop state).

#include "kvstore/store.h"
#include "server/api/watch_hub.h"
#include "server/http/connection.h"
#include "server/metrics/registry.h"
#include "server/node/node.h"

namespace server {

struct MemberMetricsSources {
  const Node* node = nullptr;
  kvstore::Store* store = nullptr;
  const api::WatchHub* watch_hub = nullptr;
  int64_t quota_backend_bytes = 0;
};

// Adds the member's metrics to `registry`; the sources must outlive it.
void RegisterMemberMetrics(const MemberMetricsSources& sources,
                           metrics::Registry* registry);

// GET /metrics: `member` and metrics::Default(), rendered at each request.
void RegisterMetricsEndpoint(const metrics::Registry* member,
                             http::HttpRouter* router);

}  // namespace server

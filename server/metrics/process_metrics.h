#pragma once

// The standard process_* metrics of Prometheus' Go client (as etcd exports
// them), read from /proc at scrape time. etcdctl `check datascale` reads
// process_resident_memory_bytes.

#include "server/metrics/registry.h"

namespace server::metrics {

void RegisterProcessMetrics(Registry* r);

}  // namespace server::metrics

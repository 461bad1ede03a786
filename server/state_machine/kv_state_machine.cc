#include "server/state_machine/kv_state_machine.h"

#include <chrono>

#include "cairnpb/internal.pb.h"
#include "server/metrics/server_metrics.h"

namespace server {
namespace {

// etcd's lessor counts grants and revokes on every member as it applies
// them.
void CountLease(const cairnpb::InternalRequest& request,
                const cairnpb::InternalResponse& response) {
  if (request.has_lease_grant()) {
    metrics::Server().lease_granted->Inc();
    metrics::Server().lease_ttl->Observe(
        static_cast<double>(response.lease_grant().ttl()));
  } else if (request.has_lease_revoke()) {
    metrics::Server().lease_revoked->Inc();
  }
}

}  // namespace

uint64_t KvStateMachine::AppliedIndex() const {
  return store_->ConsistentIndex();
}

base::Status KvStateMachine::Apply(std::span<const CommittedEntry> entries,
                                   std::vector<Outcome>* outcomes) {
  CAIRN_RETURN_IF_ERROR(store_->BeginBatch());
  cairnpb::InternalRequest request;
  for (const CommittedEntry& e : entries) {
    request.Clear();
    bool ok =
        e.data.empty() ||
        request.ParseFromArray(e.data.data(), static_cast<int>(e.data.size()));
    if (!ok) {
      // Deterministic on every member: the entry is consumed as a no-op.
      request.Clear();
    }
    auto r = store_->Apply(e.index, request);
    if (!r.ok()) return r.status();
    if (!r->applied || e.data.empty()) continue;
    Outcome o;
    o.index = e.index;
    if (!ok) {
      o.status = base::Status::InvalidArgument("etcdserver: bad request");
    } else {
      o.status = r->status;
      if (o.status.ok()) {
        CountLease(request, r->response);
        r->response.SerializeToString(&o.response);
      }
    }
    outcomes->push_back(std::move(o));
  }
  auto start = std::chrono::steady_clock::now();
  base::Status committed = store_->CommitBatch();
  metrics::Server().backend_commit->Observe(metrics::SecondsSince(start));
  return committed;
}

Outcome KvStateMachine::Query(std::string_view bytes) {
  Outcome o;
  cairnpb::InternalRequest request;
  if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      !request.has_range()) {
    o.status = base::Status::InvalidArgument("etcdserver: bad request");
    return o;
  }
  auto r = store_->Range(request.range());
  if (!r.ok()) {
    o.status = r.status();
    return o;
  }
  cairnpb::InternalResponse response;
  *response.mutable_range() = std::move(r).value();
  response.SerializeToString(&o.response);
  return o;
}

namespace {

class KvPinnedSnapshot final : public PinnedSnapshot {
 public:
  explicit KvPinnedSnapshot(kvstore::Store::PinnedSnapshot pinned)
      : pinned_(std::move(pinned)) {}
  uint64_t index() const override { return pinned_.consistent_index; }
  base::Status WriteTo(const std::string& path) override {
    return pinned_.source->CopyTo(path);
  }

 private:
  kvstore::Store::PinnedSnapshot pinned_;
};

}  // namespace

base::Result<std::unique_ptr<PinnedSnapshot>> KvStateMachine::BeginSnapshot() {
  CAIRN_ASSIGN_OR_RETURN(kvstore::Store::PinnedSnapshot pinned,
                         store_->BeginSnapshot());
  return std::unique_ptr<PinnedSnapshot>(
      std::make_unique<KvPinnedSnapshot>(std::move(pinned)));
}

base::Status KvStateMachine::RestoreSnapshot(const std::string& path) {
  return store_->Restore(path);
}

}  // namespace server

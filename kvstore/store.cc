// Store: open/load, batches, the apply dispatch, snapshots. Reads are in
// store_range.cc, writes in store_write.cc, txns in store_txn.cc, leases in
// store_lease.cc, watch history and hashing in store_history.cc.

#include "kvstore/store.h"

#include <chrono>
#include <limits>
#include <utility>

#include "base/check.h"
#include "base/log.h"

namespace kvstore {
namespace {

// The cluster table row holding the member registry.
constexpr std::string_view kMembershipName = "membership";

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Store::Store(Options options) : options_(std::move(options)) {
  if (!options_.clock) options_.clock = SteadyNowMs;
}

Store::~Store() {
  if (backend_ != nullptr && backend_->in_transaction()) {
    (void)backend_->Rollback();
  }
}

base::Result<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                 Options options) {
  std::unique_ptr<Store> s(new Store(std::move(options)));
  CAIRN_ASSIGN_OR_RETURN(s->backend_, Backend::Open(path, s->options_.sync,
                                                    s->options_.fault_hook));
  std::lock_guard<std::mutex> lock(s->mu_);
  CAIRN_RETURN_IF_ERROR(s->Load());
  CAIRN_LOG(kInfo, "kvstore",
            "opened %s: revision %lld, compacted at %lld, consistent index "
            "%llu, %zu keys",
            path.c_str(), static_cast<long long>(s->rev_),
            static_cast<long long>(s->compact_rev_),
            static_cast<unsigned long long>(s->applied_index_),
            s->index_.size());
  return s;
}

base::Status Store::Load() {
  index_.Clear();
  lessor_.Clear();
  CAIRN_ASSIGN_OR_RETURN(compact_rev_,
                         backend_->GetMeta("compact_revision", -1));
  CAIRN_ASSIGN_OR_RETURN(int64_t ci, backend_->GetMeta("consistent_index", 0));
  applied_index_ = static_cast<uint64_t>(ci);
  int64_t now = options_.clock();
  CAIRN_RETURN_IF_ERROR(backend_->ScanLeases([&](const LeaseRow& l) {
    lessor_.Add(l.id, l.ttl, l.remaining_ttl, now);
  }));
  int64_t max_main = 0;
  base::Status bad;
  CAIRN_RETURN_IF_ERROR(backend_->ScanKv(
      0, std::numeric_limits<int64_t>::max(), false, [&](const Row& row) {
        max_main = row.rev.main;
        const KeyHistory* h = index_.Find(row.key);
        if (h != nullptr && h->live()) lessor_.Detach(h->lease, row.key);
        if (row.tombstone()) {
          index_.Tombstone(row.key, row.rev);
          return true;
        }
        // An old version may name a lease revoked since; only the newest
        // version's lease must exist (checked below).
        index_.Put(row.key, row.rev, row.create_revision, row.version,
                   row.lease);
        lessor_.Attach(row.lease, row.key);
        return true;
      }));
  // Invariant 5 of backend.cc.
  index_.ForEach(
      KeyRange{std::string("\0", 1), std::string("\0", 1)}, false,
      [&](const std::string& key, const KeyHistory& h) {
        if (h.live() && h.lease != 0 && lessor_.Find(h.lease) == nullptr) {
          bad = base::Status::DataLoss(
              "kvstore: " + backend_->path() + ": key at revision " +
              std::to_string(h.changes.back().rev.main) +
              " names unknown lease " + std::to_string(h.lease));
          return false;
        }
        (void)key;
        return true;
      });
  CAIRN_RETURN_IF_ERROR(bad);
  rev_ = std::max<int64_t>({max_main, compact_rev_, 1});
  CAIRN_RETURN_IF_ERROR(LoadAlarms());
  UpdateSizes();
  return {};
}

base::Status Store::Fail(base::Status s) {
  CAIRN_DCHECK(!s.ok());
  if (failed_.ok()) {
    failed_ = std::move(s);
    CAIRN_LOG(kError, "kvstore", "store failed: %s",
              failed_.ToString().c_str());
  }
  (void)backend_->Rollback();
  pending_events_.clear();
  batch_open_ = false;
  batch_closed_.notify_all();
  // writing_ stays: the write in progress ends with FinishWrite() as usual.
  return failed_;
}

base::Status Store::health() {
  std::lock_guard<std::mutex> lock(mu_);
  return failed_;
}

base::Status Store::BeginLocked() {
  base::Status s = backend_->Begin();
  if (!s.ok()) return Fail(std::move(s));
  return {};
}

base::Status Store::CommitLocked(
    std::vector<std::vector<mvccpb::Event>>* events) {
  base::Status s = backend_->PutMeta("consistent_index",
                                     static_cast<int64_t>(applied_index_));
  if (s.ok()) s = backend_->Commit();
  if (!s.ok()) return Fail(std::move(s));
  UpdateSizes();
  *events = std::move(pending_events_);
  pending_events_.clear();
  return {};
}

base::Status Store::BeginBatch() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  CAIRN_CHECK(!batch_open_, "kvstore: BeginBatch with a batch open");
  CAIRN_RETURN_IF_ERROR(BeginLocked());
  batch_open_ = true;
  return {};
}

base::Status Store::CommitBatch() {
  std::vector<std::vector<mvccpb::Event>> events;
  EventListener listener;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_RETURN_IF_ERROR(failed_);
    CAIRN_CHECK(batch_open_, "kvstore: CommitBatch without a batch");
    batch_open_ = false;
    batch_closed_.notify_all();
    CAIRN_RETURN_IF_ERROR(CommitLocked(&events));
    listener = listener_;
  }
  if (listener) {
    for (const auto& ev : events) listener(ev.front().kv().mod_revision(), ev);
  }
  return {};
}

base::Result<ApplyResult> Store::Apply(
    uint64_t index, const cairnpb::InternalRequest& request) {
  CAIRN_CHECK(index > 0, "kvstore: Apply of index 0");
  std::vector<std::vector<mvccpb::Event>> events;
  EventListener listener;
  ApplyResult out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_RETURN_IF_ERROR(failed_);
    if (index <= applied_index_) return out;  // replay: already applied
    bool own_txn = !batch_open_;
    if (own_txn) CAIRN_RETURN_IF_ERROR(BeginLocked());
    out.applied = true;
    base::Status s = ApplyRequest(index, request, &out);
    if (!failed_.ok()) return Fail(failed_);
    out.status = std::move(s);
    applied_index_ = index;
    if (!own_txn) return out;
    CAIRN_RETURN_IF_ERROR(CommitLocked(&events));
    listener = listener_;
  }
  if (listener) {
    for (const auto& ev : events) listener(ev.front().kv().mod_revision(), ev);
  }
  return out;
}

base::Status Store::ApplyRequest(uint64_t index,
                                 const cairnpb::InternalRequest& request,
                                 ApplyResult* out) {
  using R = cairnpb::InternalRequest;
  cairnpb::InternalResponse& resp = out->response;
  CAIRN_RETURN_IF_ERROR(CheckAlarms(request));
  switch (request.request_case()) {
    case R::kRange:
      return RangeLocked(request.range(), resp.mutable_range());
    case R::kPut:
      return DoPut(request.put(), resp.mutable_put());
    case R::kDeleteRange:
      return DoDeleteRange(request.delete_range(), resp.mutable_delete_range());
    case R::kTxn:
      return DoTxn(request.txn(), resp.mutable_txn());
    case R::kCompaction:
      CAIRN_RETURN_IF_ERROR(DoCompact(request.compaction()));
      resp.mutable_compaction()->mutable_header()->set_revision(rev_);
      return {};
    case R::kLeaseGrant:
      return DoLeaseGrant(index, request.lease_grant(),
                          resp.mutable_lease_grant());
    case R::kLeaseRevoke:
      CAIRN_RETURN_IF_ERROR(DoLeaseRevoke(request.lease_revoke()));
      resp.mutable_lease_revoke()->mutable_header()->set_revision(rev_);
      return {};
    case R::kLeaseCheckpoint:
      CAIRN_RETURN_IF_ERROR(DoLeaseCheckpoint(request.lease_checkpoint()));
      resp.mutable_lease_checkpoint()->mutable_header()->set_revision(rev_);
      return {};
    case R::kAlarm:
      return DoAlarm(request.alarm(), resp.mutable_alarm());
    case R::kMembership:
      return Io(backend_->PutCluster(kMembershipName,
                                     request.membership().SerializeAsString()));
    case R::REQUEST_NOT_SET:
      return {};  // a no-op entry: only the consistent index moves
  }
  return base::Status::InvalidArgument("kvstore: unknown request type");
}

int64_t Store::CurrentRevision() {
  std::lock_guard<std::mutex> lock(mu_);
  return rev_;
}

int64_t Store::CompactRevision() {
  std::lock_guard<std::mutex> lock(mu_);
  return compact_rev_;
}

uint64_t Store::ConsistentIndex() {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_index_;
}

void Store::SetEventListener(EventListener listener, bool prev_kv) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = std::move(listener);
  listener_prev_kv_ = prev_kv;
}

base::Status Store::Snapshot(const std::string& path) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    CAIRN_RETURN_IF_ERROR(failed_);
  }
  // The copy reads through its own connection: no lock needed, and applies
  // go on meanwhile (backend.cc, journal_mode=WAL).
  return backend_->Backup(path);
}

base::Result<Store::PinnedSnapshot> Store::BeginSnapshot() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  CAIRN_CHECK(!batch_open_, "kvstore: BeginSnapshot with a batch open");
  // Under the lock no commit can land between the two.
  PinnedSnapshot pinned;
  pinned.consistent_index = applied_index_;
  CAIRN_ASSIGN_OR_RETURN(pinned.source, backend_->BeginBackup());
  return pinned;
}

base::Status Store::Restore(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  CAIRN_CHECK(!batch_open_, "kvstore: Restore with a batch open");
  base::Status s = backend_->RestoreFrom(path);
  if (s.code() == base::StatusCode::kInvalidArgument) return s;
  if (s.ok()) s = Load();
  if (!s.ok()) return Fail(std::move(s));
  CAIRN_LOG(kInfo, "kvstore",
            "restored from %s: revision %lld, consistent index %llu",
            path.c_str(), static_cast<long long>(rev_),
            static_cast<unsigned long long>(applied_index_));
  return {};
}

base::Result<std::optional<cairnpb::Membership>> Store::Membership() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  CAIRN_ASSIGN_OR_RETURN(std::optional<std::string> blob,
                         backend_->GetCluster(kMembershipName));
  if (!blob) return std::optional<cairnpb::Membership>();
  cairnpb::Membership m;
  if (!m.ParseFromString(*blob)) {
    return base::Status::DataLoss("kvstore: " + backend_->path() +
                                  ": malformed membership row");
  }
  return std::optional<cairnpb::Membership>(std::move(m));
}

base::Result<int64_t> Store::DbSize() {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  return backend_->SizeBytes();
}

}  // namespace kvstore

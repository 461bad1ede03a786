// Store: the write path (Put, DeleteRange, Compact) and event capture.

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "base/check.h"
#include "kvstore/errors.h"
#include "kvstore/store.h"

namespace kvstore {

void Store::StartWrite() {
  CAIRN_CHECK(!writing_, "kvstore: nested write");
  writing_ = true;
  write_sub_ = 0;
}

void Store::FinishWrite() {
  CAIRN_CHECK(writing_, "kvstore: FinishWrite without StartWrite");
  writing_ = false;
  if (write_sub_ > 0) ++rev_;  // something changed: one new revision
  write_sub_ = 0;
}

base::Status Store::AddEvent(mvccpb::Event ev,
                             std::optional<kvstore::Revision> prev) {
  if (!listener_) return {};
  if (listener_prev_kv_ && prev) {
    CAIRN_ASSIGN_OR_RETURN(*ev.mutable_prev_kv(), ReadKv(*prev, true));
  }
  const int64_t rev = ev.kv().mod_revision();
  if (pending_events_.empty() ||
      pending_events_.back().front().kv().mod_revision() != rev) {
    pending_events_.emplace_back();
  }
  pending_events_.back().push_back(std::move(ev));
  return {};
}

base::Status Store::CheckPut(const etcdserverpb::PutRequest& r) const {
  if (r.key().empty()) return ErrEmptyKey();
  if (r.ignore_value() && !r.value().empty()) return ErrValueProvided();
  if (r.ignore_lease() && r.lease() != 0) return ErrLeaseProvided();
  if (r.ignore_value() || r.ignore_lease()) {
    const KeyHistory* h = index_.Find(r.key());
    if (h == nullptr || !h->live()) return ErrKeyNotFound();
  }
  if (r.lease() != 0 && lessor_.Find(r.lease()) == nullptr) {
    return ErrLeaseNotFound();
  }
  return {};
}

base::Status Store::DoPut(const etcdserverpb::PutRequest& r,
                          etcdserverpb::PutResponse* resp) {
  CAIRN_RETURN_IF_ERROR(CheckPut(r));
  StartWrite();
  base::Status s = PutLocked(r, resp);
  FinishWrite();
  return s;
}

base::Status Store::PutLocked(const etcdserverpb::PutRequest& r,
                              etcdserverpb::PutResponse* resp) {
  const kvstore::Revision rev{rev_ + 1, write_sub_++};
  KeyHistory& h = index_.Mutable(r.key());  // one lookup for the whole put
  const bool live = !h.changes.empty() && h.live();
  CAIRN_CHECK(live || !(r.ignore_value() || r.ignore_lease()),
              "kvstore: ignore_* put of a missing key passed its check");
  std::optional<kvstore::Revision> prev_rev;
  if (live) prev_rev = h.changes.back().rev;

  const int64_t create = live ? h.create_revision : rev.main;
  const int64_t version = live ? h.version + 1 : 1;
  const int64_t lease = r.ignore_lease() ? h.lease : r.lease();
  std::string kept_value;  // the old value, for ignore_value
  std::string_view value = r.value();
  if (r.ignore_value() || (r.prev_kv() && live)) {
    CAIRN_ASSIGN_OR_RETURN(mvccpb::KeyValue prev, ReadKv(*prev_rev, true));
    if (r.ignore_value()) {
      kept_value = prev.value();
      value = kept_value;
    }
    if (r.prev_kv()) *resp->mutable_prev_kv() = std::move(prev);
  }
  CAIRN_RETURN_IF_ERROR(
      Io(backend_->InsertKv(rev, r.key(), create, version, lease, value)));

  if (listener_) {
    mvccpb::Event ev;
    ev.set_type(mvccpb::Event::PUT);
    mvccpb::KeyValue* kv = ev.mutable_kv();
    kv->set_key(r.key());
    kv->set_create_revision(create);
    kv->set_mod_revision(rev.main);
    kv->set_version(version);
    kv->set_value(std::string(value));
    kv->set_lease(lease);
    CAIRN_RETURN_IF_ERROR(AddEvent(std::move(ev), prev_rev));
  }

  if (live) lessor_.Detach(h.lease, r.key());
  lessor_.Attach(lease, r.key());
  KeyIndex::RecordPut(h, rev, create, version, lease);
  resp->mutable_header()->set_revision(rev.main);
  return {};
}

base::Status Store::DeleteKey(const std::string& key, const KeyHistory& h,
                              mvccpb::KeyValue* prev) {
  CAIRN_CHECK(h.live(), "kvstore: delete of a deleted key");
  const kvstore::Revision rev{rev_ + 1, write_sub_++};
  const kvstore::Revision prev_rev = h.changes.back().rev;
  if (prev != nullptr) {
    CAIRN_ASSIGN_OR_RETURN(*prev, ReadKv(prev_rev, true));
  }
  // A tombstone: version 0, no value, no lease.
  CAIRN_RETURN_IF_ERROR(Io(backend_->InsertKv(rev, key, 0, 0, 0, {})));

  if (listener_) {
    mvccpb::Event ev;
    ev.set_type(mvccpb::Event::DELETE);
    ev.mutable_kv()->set_key(key);
    ev.mutable_kv()->set_mod_revision(rev.main);
    CAIRN_RETURN_IF_ERROR(AddEvent(std::move(ev), prev_rev));
  }

  lessor_.Detach(h.lease, key);
  index_.Tombstone(key, rev);
  return {};
}

base::Status Store::DoDeleteRange(const etcdserverpb::DeleteRangeRequest& r,
                                  etcdserverpb::DeleteRangeResponse* resp) {
  if (r.key().empty()) return ErrEmptyKey();
  std::vector<std::string> keys;
  index_.ForEach(KeyRange{r.key(), r.range_end()}, false,
                 [&](const std::string& k, const KeyHistory& h) {
                   if (h.live()) keys.push_back(k);
                   return true;
                 });
  const bool own = !writing_;
  if (own) StartWrite();
  base::Status s;
  for (const std::string& k : keys) {
    s = DeleteKey(k, *index_.Find(k),
                  r.prev_kv() ? resp->add_prev_kvs() : nullptr);
    if (!s.ok()) break;
  }
  resp->set_deleted(static_cast<int64_t>(keys.size()));
  resp->mutable_header()->set_revision(ReadRevision());
  if (own) FinishWrite();
  return s;
}

base::Status Store::DoCompact(const etcdserverpb::CompactionRequest& r) {
  if (r.revision() <= compact_rev_) return ErrCompacted();
  if (r.revision() > rev_) return ErrFutureRev();
  std::vector<kvstore::Revision> removed;
  index_.Compact(r.revision(),
                 [&](kvstore::Revision rev) { removed.push_back(rev); });
  // In revision order: the deletes then walk the kv b-tree left to right.
  std::sort(removed.begin(), removed.end());
  for (const kvstore::Revision& rev : removed) {
    CAIRN_RETURN_IF_ERROR(Io(backend_->DeleteKv(rev)));
  }
  compact_rev_ = r.revision();
  return Io(backend_->PutMeta("compact_revision", compact_rev_));
}

}  // namespace kvstore

// Store: the read path (Range), after etcd's apply Range and mvcc rangeKeys.

#include <algorithm>

#include "kvstore/errors.h"
#include "kvstore/store.h"

namespace kvstore {
namespace {

using etcdserverpb::RangeRequest;

// Strict-weak order of two pairs on the sort target, ascending.
bool LessOn(RangeRequest::SortTarget t, const mvccpb::KeyValue& a,
            const mvccpb::KeyValue& b) {
  switch (t) {
    case RangeRequest::KEY:
      return a.key() < b.key();
    case RangeRequest::VERSION:
      return a.version() < b.version();
    case RangeRequest::CREATE:
      return a.create_revision() < b.create_revision();
    case RangeRequest::MOD:
      return a.mod_revision() < b.mod_revision();
    case RangeRequest::VALUE:
      return a.value() < b.value();
    default:
      return a.key() < b.key();
  }
}

// etcd's pruneKVs: the min/max filters, inclusive, 0 = unbounded.
bool PassesFilters(const RangeRequest& r, const mvccpb::KeyValue& kv) {
  if (r.min_mod_revision() != 0 && kv.mod_revision() < r.min_mod_revision()) {
    return false;
  }
  if (r.max_mod_revision() != 0 && kv.mod_revision() > r.max_mod_revision()) {
    return false;
  }
  if (r.min_create_revision() != 0 &&
      kv.create_revision() < r.min_create_revision()) {
    return false;
  }
  if (r.max_create_revision() != 0 &&
      kv.create_revision() > r.max_create_revision()) {
    return false;
  }
  return true;
}

}  // namespace

int64_t Store::ReadRevision() const {
  // Inside a write request, reads see its changes (a Range after a Put in
  // one txn sees the new value).
  return writing_ && write_sub_ > 0 ? rev_ + 1 : rev_;
}

base::Status Store::CheckReadRevision(int64_t rev) const {
  if (rev <= 0) return {};
  if (rev > ReadRevision()) return ErrFutureRev();
  if (rev < compact_rev_) return ErrCompacted();
  return {};
}

base::Result<mvccpb::KeyValue> Store::ReadKv(kvstore::Revision rev,
                                             bool with_value) {
  auto row = backend_->GetKv(rev, with_value);
  if (!row.ok()) return Fail(row.status());
  if (!row->has_value()) {
    return Fail(base::Status::DataLoss(
        "kvstore: " + backend_->path() + ": row " + std::to_string(rev.main) +
        "." + std::to_string(rev.sub) + " in the index is missing"));
  }
  const Row& r = **row;
  mvccpb::KeyValue kv;
  kv.set_key(r.key);
  kv.set_create_revision(r.create_revision);
  kv.set_mod_revision(rev.main);
  kv.set_version(r.version);
  if (with_value) kv.set_value(r.value);
  kv.set_lease(r.lease);
  return kv;
}

base::Status Store::RangeLocked(const RangeRequest& r,
                                etcdserverpb::RangeResponse* resp) {
  if (r.key().empty()) return ErrEmptyKey();
  CAIRN_RETURN_IF_ERROR(CheckReadRevision(r.revision()));
  const int64_t cur = ReadRevision();
  const int64_t at = r.revision() > 0 ? r.revision() : cur;
  resp->mutable_header()->set_revision(cur);

  // As etcd: with sorting or filters fetch everything, then sort and cut;
  // else fetch one more than the limit, to know whether there is more.
  const bool fetch_all =
      r.sort_order() != RangeRequest::NONE || r.min_mod_revision() != 0 ||
      r.max_mod_revision() != 0 || r.min_create_revision() != 0 ||
      r.max_create_revision() != 0;
  int64_t fetch = fetch_all ? 0 : r.limit();
  if (fetch > 0) fetch += 1;

  int64_t count = 0;
  std::vector<kvstore::Revision> revs;
  KeyRange range{r.key(), r.range_end()};
  index_.ForEach(range, false, [&](const std::string&, const KeyHistory& h) {
    auto v = h.VisibleAt(at);
    if (!v) return true;
    ++count;
    if (!r.count_only() &&
        (fetch <= 0 || static_cast<int64_t>(revs.size()) < fetch)) {
      revs.push_back(*v);
    }
    return true;
  });
  resp->set_count(count);
  if (r.count_only()) return {};

  std::vector<mvccpb::KeyValue> kvs;
  kvs.reserve(revs.size());
  for (const kvstore::Revision& rev : revs) {
    CAIRN_ASSIGN_OR_RETURN(mvccpb::KeyValue kv, ReadKv(rev, !r.keys_only()));
    if (PassesFilters(r, kv)) kvs.push_back(std::move(kv));
  }

  RangeRequest::SortOrder order = r.sort_order();
  if (r.sort_target() != RangeRequest::KEY && order == RangeRequest::NONE) {
    order = RangeRequest::ASCEND;  // results come key-ordered otherwise
  }
  const RangeRequest::SortTarget target = r.sort_target();
  if (order == RangeRequest::ASCEND) {
    std::stable_sort(kvs.begin(), kvs.end(),
                     [target](const auto& a, const auto& b) {
                       return LessOn(target, a, b);
                     });
  } else if (order == RangeRequest::DESCEND) {
    std::stable_sort(kvs.begin(), kvs.end(),
                     [target](const auto& a, const auto& b) {
                       return LessOn(target, b, a);
                     });
  }
  if (r.limit() > 0 && static_cast<int64_t>(kvs.size()) > r.limit()) {
    kvs.resize(static_cast<size_t>(r.limit()));
    resp->set_more(true);
  }
  for (auto& kv : kvs) *resp->add_kvs() = std::move(kv);
  return {};
}

base::Result<etcdserverpb::RangeResponse> Store::Range(const RangeRequest& r) {
  std::lock_guard<std::mutex> lock(mu_);
  CAIRN_RETURN_IF_ERROR(failed_);
  etcdserverpb::RangeResponse resp;
  CAIRN_RETURN_IF_ERROR(RangeLocked(r, &resp));
  return resp;
}

}  // namespace kvstore

#pragma once

// A naive in-memory model of the store for differential tests: a full copy
// of the key-value map for every revision, and etcd's rules written as
// plainly as possible (etcd-v3-api.md section 4). Slow and obviously
// correct; never used outside tests. It covers flat txns (no nesting) and
// leases without deadlines.

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "cairnpb/internal.pb.h"
#include "kvstore/errors.h"

namespace kvstore::testing {

struct ModelKv {
  int64_t create = 0, mod = 0, version = 0, lease = 0;
  std::string value;
};
using ModelState = std::map<std::string, ModelKv>;

inline bool ModelInRange(const std::string& key, const std::string& end,
                         const std::string& k) {
  if (end.empty()) return k == key;
  if (end == std::string("\0", 1)) return k >= key;
  return k >= key && k < end;
}

inline mvccpb::KeyValue ToKv(const std::string& k, const ModelKv& m) {
  mvccpb::KeyValue kv;
  kv.set_key(k);
  kv.set_create_revision(m.create);
  kv.set_mod_revision(m.mod);
  kv.set_version(m.version);
  kv.set_value(m.value);
  kv.set_lease(m.lease);
  return kv;
}

class Model {
 public:
  int64_t rev() const { return static_cast<int64_t>(states_.size()) - 1; }
  int64_t compact() const { return compact_; }
  const ModelState& At(int64_t r) const { return states_[r]; }

  // Applies one request; returns its status and fills `resp`.
  base::Status Apply(const cairnpb::InternalRequest& r,
                     cairnpb::InternalResponse* resp) {
    switch (r.request_case()) {
      case cairnpb::InternalRequest::kRange:
        return Range(r.range(), states_.back(), false, resp->mutable_range());
      case cairnpb::InternalRequest::kPut:
        return Put(r.put(), resp->mutable_put());
      case cairnpb::InternalRequest::kDeleteRange:
        return Delete(r.delete_range(), resp->mutable_delete_range());
      case cairnpb::InternalRequest::kTxn:
        return Txn(r.txn(), resp->mutable_txn());
      case cairnpb::InternalRequest::kCompaction: {
        int64_t c = r.compaction().revision();
        if (c <= compact_) return ErrCompacted();
        if (c > rev()) return ErrFutureRev();
        compact_ = c;
        resp->mutable_compaction()->mutable_header()->set_revision(rev());
        return {};
      }
      case cairnpb::InternalRequest::kLeaseGrant: {
        int64_t id = r.lease_grant().id();
        if (leases_.count(id) != 0) return ErrLeaseExist();
        leases_.insert(id);
        resp->mutable_lease_grant()->mutable_header()->set_revision(rev());
        resp->mutable_lease_grant()->set_id(id);
        resp->mutable_lease_grant()->set_ttl(
            std::max<int64_t>(r.lease_grant().ttl(), 2));
        return {};
      }
      case cairnpb::InternalRequest::kLeaseRevoke: {
        int64_t id = r.lease_revoke().id();
        if (leases_.erase(id) == 0) return ErrLeaseNotFound();
        ModelState w = states_.back();
        bool changed = false;
        for (auto it = w.begin(); it != w.end();) {
          if (it->second.lease == id) {
            it = w.erase(it);
            changed = true;
          } else {
            ++it;
          }
        }
        if (changed) states_.push_back(w);
        resp->mutable_lease_revoke()->mutable_header()->set_revision(rev());
        return {};
      }
      default:
        return {};
    }
  }

  // A read at the current state (not in a txn).
  base::Status ReadRange(const etcdserverpb::RangeRequest& r,
                         etcdserverpb::RangeResponse* resp) const {
    return Range(r, states_.back(), false, resp);
  }

 private:
  base::Status CheckRev(int64_t r, int64_t cur) const {
    if (r <= 0) return {};
    if (r > cur) return ErrFutureRev();
    if (r < compact_) return ErrCompacted();
    return {};
  }

  // `work` is the state a current read sees; `pending` tells whether it
  // holds uncommitted txn changes (its revision is then rev() + 1).
  base::Status Range(const etcdserverpb::RangeRequest& r,
                     const ModelState& work, bool pending,
                     etcdserverpb::RangeResponse* resp) const {
    using RR = etcdserverpb::RangeRequest;
    if (r.key().empty()) return ErrEmptyKey();
    const int64_t cur = rev() + (pending ? 1 : 0);
    if (base::Status s = CheckRev(r.revision(), cur); !s.ok()) return s;
    const ModelState& st = r.revision() > 0 ? states_[r.revision()] : work;
    resp->mutable_header()->set_revision(cur);
    std::vector<mvccpb::KeyValue> all;
    for (const auto& [k, m] : st) {
      if (ModelInRange(r.key(), r.range_end(), k)) all.push_back(ToKv(k, m));
    }
    resp->set_count(static_cast<int64_t>(all.size()));
    if (r.count_only()) return {};
    bool fetch_all = r.sort_order() != RR::NONE || r.min_mod_revision() ||
                     r.max_mod_revision() || r.min_create_revision() ||
                     r.max_create_revision();
    if (!fetch_all && r.limit() > 0 &&
        static_cast<int64_t>(all.size()) > r.limit() + 1) {
      all.resize(static_cast<size_t>(r.limit() + 1));
    }
    std::vector<mvccpb::KeyValue> kvs;
    for (auto& kv : all) {
      if (r.min_mod_revision() && kv.mod_revision() < r.min_mod_revision())
        continue;
      if (r.max_mod_revision() && kv.mod_revision() > r.max_mod_revision())
        continue;
      if (r.min_create_revision() &&
          kv.create_revision() < r.min_create_revision())
        continue;
      if (r.max_create_revision() &&
          kv.create_revision() > r.max_create_revision())
        continue;
      if (r.keys_only()) kv.clear_value();
      kvs.push_back(kv);
    }
    auto field = [&](const mvccpb::KeyValue& kv) -> std::string {
      char buf[32];
      switch (r.sort_target()) {
        case RR::VERSION:
          snprintf(buf, sizeof buf, "%020lld",
                   static_cast<long long>(kv.version()));
          return buf;
        case RR::CREATE:
          snprintf(buf, sizeof buf, "%020lld",
                   static_cast<long long>(kv.create_revision()));
          return buf;
        case RR::MOD:
          snprintf(buf, sizeof buf, "%020lld",
                   static_cast<long long>(kv.mod_revision()));
          return buf;
        case RR::VALUE:
          return kv.value();
        default:
          return kv.key();
      }
    };
    RR::SortOrder order = r.sort_order();
    if (r.sort_target() != RR::KEY && order == RR::NONE) order = RR::ASCEND;
    if (order == RR::ASCEND) {
      std::stable_sort(kvs.begin(), kvs.end(),
                       [&](auto& a, auto& b) { return field(a) < field(b); });
    } else if (order == RR::DESCEND) {
      std::stable_sort(kvs.begin(), kvs.end(),
                       [&](auto& a, auto& b) { return field(a) > field(b); });
    }
    if (r.limit() > 0 && static_cast<int64_t>(kvs.size()) > r.limit()) {
      kvs.resize(static_cast<size_t>(r.limit()));
      resp->set_more(true);
    }
    for (auto& kv : kvs) *resp->add_kvs() = kv;
    return {};
  }

  base::Status CheckPut(const etcdserverpb::PutRequest& p,
                        const ModelState& st) const {
    if (p.key().empty()) return ErrEmptyKey();
    if (p.ignore_value() && !p.value().empty()) return ErrValueProvided();
    if (p.ignore_lease() && p.lease() != 0) return ErrLeaseProvided();
    if ((p.ignore_value() || p.ignore_lease()) && st.count(p.key()) == 0) {
      return ErrKeyNotFound();
    }
    if (p.lease() != 0 && leases_.count(p.lease()) == 0) {
      return ErrLeaseNotFound();
    }
    return {};
  }

  void DoPut(const etcdserverpb::PutRequest& p, ModelState* w, int64_t nr,
             etcdserverpb::PutResponse* resp) const {
    auto it = w->find(p.key());
    ModelKv m;
    if (it != w->end()) {
      if (p.prev_kv()) *resp->mutable_prev_kv() = ToKv(p.key(), it->second);
      m = it->second;
      m.version++;
    } else {
      m.create = nr;
      m.version = 1;
    }
    m.mod = nr;
    if (!p.ignore_value()) m.value = p.value();
    if (!p.ignore_lease()) m.lease = p.lease();
    (*w)[p.key()] = m;
    resp->mutable_header()->set_revision(nr);
  }

  // Deletes in `w`; returns how many.
  int64_t DoDelete(const etcdserverpb::DeleteRangeRequest& d, ModelState* w,
                   etcdserverpb::DeleteRangeResponse* resp) const {
    int64_t n = 0;
    for (auto it = w->begin(); it != w->end();) {
      if (ModelInRange(d.key(), d.range_end(), it->first)) {
        if (d.prev_kv()) *resp->add_prev_kvs() = ToKv(it->first, it->second);
        it = w->erase(it);
        ++n;
      } else {
        ++it;
      }
    }
    resp->set_deleted(n);
    return n;
  }

  base::Status Put(const etcdserverpb::PutRequest& p,
                   etcdserverpb::PutResponse* resp) {
    if (base::Status s = CheckPut(p, states_.back()); !s.ok()) return s;
    ModelState w = states_.back();
    DoPut(p, &w, rev() + 1, resp);
    states_.push_back(w);
    return {};
  }

  base::Status Delete(const etcdserverpb::DeleteRangeRequest& d,
                      etcdserverpb::DeleteRangeResponse* resp) {
    if (d.key().empty()) return ErrEmptyKey();
    ModelState w = states_.back();
    if (DoDelete(d, &w, resp) > 0) states_.push_back(w);
    resp->mutable_header()->set_revision(rev());
    return {};
  }

  bool Holds(const etcdserverpb::Compare& c) const {
    using C = etcdserverpb::Compare;
    const ModelState& st = states_.back();
    bool any = false;
    for (const auto& [k, m] : st) {
      if (!ModelInRange(c.key(), c.range_end(), k)) continue;
      any = true;
      if (!One(c, m)) return false;
    }
    return any || (c.target() != C::VALUE && One(c, ModelKv()));
  }

  static bool One(const etcdserverpb::Compare& c, const ModelKv& m) {
    using C = etcdserverpb::Compare;
    int cmp = 0;
    auto three = [](auto a, auto b) { return a < b ? -1 : (a > b ? 1 : 0); };
    switch (c.target()) {
      case C::VERSION:
        cmp = three(m.version, c.has_version() ? c.version() : 0);
        break;
      case C::CREATE:
        cmp =
            three(m.create, c.has_create_revision() ? c.create_revision() : 0);
        break;
      case C::MOD:
        cmp = three(m.mod, c.has_mod_revision() ? c.mod_revision() : 0);
        break;
      case C::VALUE:
        cmp = three(m.value, c.has_value() ? c.value() : std::string());
        break;
      case C::LEASE:
        cmp = three(m.lease, c.has_lease() ? c.lease() : 0);
        break;
      default:
        break;
    }
    switch (c.result()) {
      case C::EQUAL:
        return cmp == 0;
      case C::GREATER:
        return cmp > 0;
      case C::LESS:
        return cmp < 0;
      case C::NOT_EQUAL:
        return cmp != 0;
      default:
        return false;
    }
  }

  base::Status Txn(const etcdserverpb::TxnRequest& t,
                   etcdserverpb::TxnResponse* resp) {
    for (const auto& c : t.compare()) {
      if (c.key().empty()) return ErrEmptyKey();
    }
    for (const auto* list : {&t.success(), &t.failure()}) {
      for (const auto& op : *list) {
        if (op.has_request_range() && op.request_range().key().empty())
          return ErrEmptyKey();
        if (op.has_request_put()) {
          const auto& p = op.request_put();
          if (p.key().empty()) return ErrEmptyKey();
          if (p.ignore_value() && !p.value().empty()) return ErrValueProvided();
          if (p.ignore_lease() && p.lease() != 0) return ErrLeaseProvided();
        }
        if (op.has_request_delete_range() &&
            op.request_delete_range().key().empty())
          return ErrEmptyKey();
      }
    }
    for (const auto* list : {&t.success(), &t.failure()}) {
      // Flat duplicate rule.
      std::set<std::string> puts;
      for (const auto& op : *list) {
        if (!op.has_request_put()) continue;
        const std::string& k = op.request_put().key();
        if (!puts.insert(k).second) return ErrDuplicateKey();
        for (const auto& d : *list) {
          if (d.has_request_delete_range() &&
              ModelInRange(d.request_delete_range().key(),
                           d.request_delete_range().range_end(), k))
            return ErrDuplicateKey();
        }
      }
    }
    bool ok = true;
    for (const auto& c : t.compare()) ok = ok && Holds(c);
    const auto& ops = ok ? t.success() : t.failure();
    for (const auto& op : ops) {
      if (op.has_request_put()) {
        if (base::Status s = CheckPut(op.request_put(), states_.back());
            !s.ok())
          return s;
      }
      if (op.has_request_range()) {
        if (base::Status s = CheckRev(op.request_range().revision(), rev());
            !s.ok())
          return s;
      }
    }
    ModelState w = states_.back();
    const int64_t nr = rev() + 1;
    bool changed = false;
    resp->set_succeeded(ok);
    for (const auto& op : ops) {
      auto* out = resp->add_responses();
      if (op.has_request_put()) {
        DoPut(op.request_put(), &w, nr, out->mutable_response_put());
        changed = true;
      } else if (op.has_request_delete_range()) {
        auto* d = out->mutable_response_delete_range();
        if (DoDelete(op.request_delete_range(), &w, d) > 0) changed = true;
        d->mutable_header()->set_revision(changed ? nr : rev());
      } else if (op.has_request_range()) {
        (void)Range(op.request_range(), w, changed,
                    out->mutable_response_range());
      }
    }
    if (changed) states_.push_back(w);
    resp->mutable_header()->set_revision(rev());
    return {};
  }

  std::vector<ModelState> states_{ModelState(), ModelState()};
  int64_t compact_ = -1;  // As etcd: -1 until the first compaction.
  std::set<int64_t> leases_;
};

}  // namespace kvstore::testing

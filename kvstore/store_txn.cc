// Store: transactions (etcd-v3-api.md 4.6), in etcd's order: static checks
// (sizes, empty keys, duplicate keys), then the path of compare outcomes on
// the state before the txn, then the checks of the ops on that path, then
// execution as one revision.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "base/check.h"
#include "kvstore/errors.h"
#include "kvstore/store.h"

namespace kvstore {
namespace {

using etcdserverpb::Compare;
using etcdserverpb::RequestOp;
using etcdserverpb::TxnRequest;

// Static checks of a txn (etcd's checkTxnRequest): `budget` is the op
// count allowed for each of its lists.
base::Status CheckTxnStatic(const TxnRequest& r, int budget) {
  int ops = std::max({r.compare_size(), r.success_size(), r.failure_size()});
  if (ops > budget) return ErrTooManyOps();
  for (const Compare& c : r.compare()) {
    if (c.key().empty()) return ErrEmptyKey();
  }
  for (const auto* list : {&r.success(), &r.failure()}) {
    for (const RequestOp& op : *list) {
      switch (op.request_case()) {
        case RequestOp::kRequestRange:
          if (op.request_range().key().empty()) return ErrEmptyKey();
          break;
        case RequestOp::kRequestPut: {
          const auto& p = op.request_put();
          if (p.key().empty()) return ErrEmptyKey();
          if (p.ignore_value() && !p.value().empty()) return ErrValueProvided();
          if (p.ignore_lease() && p.lease() != 0) return ErrLeaseProvided();
          break;
        }
        case RequestOp::kRequestDeleteRange:
          if (op.request_delete_range().key().empty()) return ErrEmptyKey();
          break;
        case RequestOp::kRequestTxn:
          CAIRN_RETURN_IF_ERROR(CheckTxnStatic(op.request_txn(), budget - ops));
          break;
        case RequestOp::REQUEST_NOT_SET:
          return ErrKeyNotFound();
      }
    }
  }
  return {};
}

struct Writes {
  std::set<std::string> puts;
  std::vector<KeyRange> dels;

  bool Deleted(const std::string& k) const {
    return std::any_of(dels.begin(), dels.end(),
                       [&](const KeyRange& d) { return d.Contains(k); });
  }
};

// Duplicate-key rule of one op list (etcd's checkIntervals): no key put
// twice, no put inside a range deleted by the same list; a nested txn's
// branches are checked on their own and may put the same key, since only
// one of them runs.
base::Status CheckDuplicates(
    const google::protobuf::RepeatedPtrField<RequestOp>& ops, Writes* out) {
  Writes w;
  for (const RequestOp& op : ops) {
    if (op.has_request_delete_range()) {
      const auto& d = op.request_delete_range();
      w.dels.push_back(KeyRange{d.key(), d.range_end()});
    }
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_txn()) continue;
    Writes then, els;
    CAIRN_RETURN_IF_ERROR(CheckDuplicates(op.request_txn().success(), &then));
    CAIRN_RETURN_IF_ERROR(CheckDuplicates(op.request_txn().failure(), &els));
    for (const std::string& k : then.puts) {
      if (w.puts.count(k) != 0 || w.Deleted(k)) return ErrDuplicateKey();
      w.puts.insert(k);
    }
    for (const std::string& k : els.puts) {
      if (w.puts.count(k) != 0 && then.puts.count(k) == 0) {
        return ErrDuplicateKey();
      }
      if (w.Deleted(k)) return ErrDuplicateKey();
      w.puts.insert(k);
    }
    w.dels.insert(w.dels.end(), then.dels.begin(), then.dels.end());
    w.dels.insert(w.dels.end(), els.dels.begin(), els.dels.end());
  }
  for (const RequestOp& op : ops) {
    if (!op.has_request_put()) continue;
    const std::string& k = op.request_put().key();
    if (w.puts.count(k) != 0 || w.Deleted(k)) return ErrDuplicateKey();
    w.puts.insert(k);
  }
  *out = std::move(w);
  return {};
}

template <typename T>
int ThreeWay(const T& stored, const T& given) {
  return stored < given ? -1 : (given < stored ? 1 : 0);
}

// One compare against one stored pair (etcd's compareKV). The operand is
// the target_union member matching the target; any other is 0 / empty. As in
// etcd, an unknown target compares as equal and an unknown result holds.
bool CompareKv(const Compare& c, const mvccpb::KeyValue& kv) {
  int result = 0;
  switch (c.target()) {
    case Compare::VALUE:
      result = ThreeWay<std::string>(kv.value(),
                                     c.has_value() ? c.value() : std::string());
      break;
    case Compare::VERSION:
      result =
          ThreeWay<int64_t>(kv.version(), c.has_version() ? c.version() : 0);
      break;
    case Compare::CREATE:
      result =
          ThreeWay<int64_t>(kv.create_revision(),
                            c.has_create_revision() ? c.create_revision() : 0);
      break;
    case Compare::MOD:
      result = ThreeWay<int64_t>(kv.mod_revision(),
                                 c.has_mod_revision() ? c.mod_revision() : 0);
      break;
    case Compare::LEASE:
      result = ThreeWay<int64_t>(kv.lease(), c.has_lease() ? c.lease() : 0);
      break;
    default:
      break;
  }
  switch (c.result()) {
    case Compare::EQUAL:
      return result == 0;
    case Compare::NOT_EQUAL:
      return result != 0;
    case Compare::GREATER:
      return result > 0;
    case Compare::LESS:
      return result < 0;
    default:
      return true;
  }
}

}  // namespace

base::Result<bool> Store::EvalCompare(const Compare& c) {
  const int64_t at = ReadRevision();
  const bool need_value = c.target() == Compare::VALUE;
  bool any = false;
  bool holds = true;
  base::Status err;
  index_.ForEach(KeyRange{c.key(), c.range_end()}, false,
                 [&](const std::string&, const KeyHistory& h) {
                   auto v = h.VisibleAt(at);
                   if (!v) return true;
                   any = true;
                   auto kv = ReadKv(*v, need_value);
                   if (!kv.ok()) {
                     err = kv.status();
                     return false;
                   }
                   holds = CompareKv(c, *kv);
                   return holds;
                 });
  CAIRN_RETURN_IF_ERROR(err);
  if (!any) {
    // No key: a VALUE compare fails; others compare with a zero pair.
    return c.target() != Compare::VALUE && CompareKv(c, mvccpb::KeyValue());
  }
  return holds;
}

base::Status Store::EvalPath(const TxnRequest& r, TxnPath* path) {
  bool ok = true;
  for (const Compare& c : r.compare()) {
    CAIRN_ASSIGN_OR_RETURN(ok, EvalCompare(c));
    if (!ok) break;
  }
  path->push_back(ok);
  for (const RequestOp& op : ok ? r.success() : r.failure()) {
    if (op.has_request_txn()) {
      CAIRN_RETURN_IF_ERROR(EvalPath(op.request_txn(), path));
    }
  }
  return {};
}

base::Status Store::CheckPath(const TxnRequest& r, const TxnPath& path,
                              size_t* pos) const {
  const bool ok = path[(*pos)++];
  for (const RequestOp& op : ok ? r.success() : r.failure()) {
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        CAIRN_RETURN_IF_ERROR(CheckReadRevision(op.request_range().revision()));
        break;
      case RequestOp::kRequestPut:
        CAIRN_RETURN_IF_ERROR(CheckPut(op.request_put()));
        break;
      case RequestOp::kRequestTxn:
        CAIRN_RETURN_IF_ERROR(CheckPath(op.request_txn(), path, pos));
        break;
      default:
        break;
    }
  }
  return {};
}

base::Status Store::ExecTxn(const TxnRequest& r, const TxnPath& path,
                            size_t* pos, etcdserverpb::TxnResponse* resp) {
  const bool ok = path[(*pos)++];
  resp->set_succeeded(ok);
  for (const RequestOp& op : ok ? r.success() : r.failure()) {
    etcdserverpb::ResponseOp* out = resp->add_responses();
    switch (op.request_case()) {
      case RequestOp::kRequestRange:
        CAIRN_RETURN_IF_ERROR(
            RangeLocked(op.request_range(), out->mutable_response_range()));
        break;
      case RequestOp::kRequestPut:
        CAIRN_RETURN_IF_ERROR(
            PutLocked(op.request_put(), out->mutable_response_put()));
        break;
      case RequestOp::kRequestDeleteRange:
        CAIRN_RETURN_IF_ERROR(DoDeleteRange(
            op.request_delete_range(), out->mutable_response_delete_range()));
        break;
      case RequestOp::kRequestTxn:
        CAIRN_RETURN_IF_ERROR(
            ExecTxn(op.request_txn(), path, pos, out->mutable_response_txn()));
        out->mutable_response_txn()->mutable_header()->set_revision(
            ReadRevision());
        break;
      case RequestOp::REQUEST_NOT_SET:
        CAIRN_CHECK(false, "kvstore: empty RequestOp passed its check");
    }
  }
  return {};
}

base::Status Store::DoTxn(const TxnRequest& r,
                          etcdserverpb::TxnResponse* resp) {
  CAIRN_RETURN_IF_ERROR(CheckTxnStatic(r, options_.max_txn_ops));
  Writes unused;
  CAIRN_RETURN_IF_ERROR(CheckDuplicates(r.success(), &unused));
  CAIRN_RETURN_IF_ERROR(CheckDuplicates(r.failure(), &unused));
  TxnPath path;
  CAIRN_RETURN_IF_ERROR(EvalPath(r, &path));
  size_t pos = 0;
  CAIRN_RETURN_IF_ERROR(CheckPath(r, path, &pos));
  // From here on only store failures can happen (failed_ is then set).
  StartWrite();
  pos = 0;
  base::Status s = ExecTxn(r, path, &pos, resp);
  FinishWrite();
  resp->mutable_header()->set_revision(rev_);
  CAIRN_CHECK(s.ok() ? pos == path.size() : !failed_.ok(),
              "kvstore: txn failed after its checks passed: %s",
              s.ToString().c_str());
  return s;
}

}  // namespace kvstore

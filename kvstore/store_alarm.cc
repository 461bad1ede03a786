// Store: the alarm store (etcd's etcdserver/api/v3alarm with the capped and
// corrupt appliers of etcdserver/apply.go), database sizes and
// defragmentation.

#include <charconv>
#include <string>

#include "base/log.h"
#include "kvstore/errors.h"
#include "kvstore/store.h"

namespace kvstore {
namespace {

constexpr std::string_view kAlarmPrefix = "alarm/";

std::string AlarmMetaName(int type, uint64_t member) {
  return std::string(kAlarmPrefix) + std::to_string(type) + "/" +
         std::to_string(member);
}

// Parses "alarm/<type>/<member>"; false when malformed.
bool ParseAlarmMetaName(std::string_view name, int* type, uint64_t* member) {
  if (name.substr(0, kAlarmPrefix.size()) != kAlarmPrefix) return false;
  name.remove_prefix(kAlarmPrefix.size());
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  const char* b = name.data();
  auto t = std::from_chars(b, b + slash, *type);
  auto m = std::from_chars(b + slash + 1, b + name.size(), *member);
  return t.ec == std::errc() && t.ptr == b + slash && m.ec == std::errc() &&
         m.ptr == b + name.size();
}

// etcd's quota cost of a txn is positive iff a branch holds a put (nested
// txns are not counted, as in etcd 3.4's costTxn).
bool TxnHasPut(const etcdserverpb::TxnRequest& r) {
  for (const auto* ops : {&r.success(), &r.failure()}) {
    for (const etcdserverpb::RequestOp& op : *ops) {
      if (op.has_request_put()) return true;
    }
  }
  return false;
}

etcdserverpb::AlarmMember Member(int type, uint64_t member) {
  etcdserverpb::AlarmMember m;
  m.set_memberid(member);
  m.set_alarm(static_cast<etcdserverpb::AlarmType>(type));
  return m;
}

}  // namespace

base::Status Store::LoadAlarms() {
  alarms_.clear();
  base::Status bad;
  CAIRN_RETURN_IF_ERROR(
      backend_->ScanMeta(kAlarmPrefix, [&](std::string_view name, int64_t) {
        int type = 0;
        uint64_t member = 0;
        if (!ParseAlarmMetaName(name, &type, &member)) {
          bad = base::Status::DataLoss("kvstore: " + backend_->path() +
                                       ": malformed alarm row \"" +
                                       std::string(name) + "\"");
          return;
        }
        alarms_.emplace(type, member);
      }));
  return bad;
}

base::Status Store::CheckAlarms(const cairnpb::InternalRequest& r) const {
  using R = cairnpb::InternalRequest;
  if (alarms_.empty()) return {};
  auto raised = [this](etcdserverpb::AlarmType type) {
    auto it = alarms_.lower_bound({type, 0});
    return it != alarms_.end() && it->first == type;
  };
  switch (r.request_case()) {
    case R::kPut:
    case R::kLeaseGrant:
      if (raised(etcdserverpb::CORRUPT)) return ErrCorrupt();
      if (raised(etcdserverpb::NOSPACE)) return ErrNoSpace();
      return {};
    case R::kTxn:
      if (raised(etcdserverpb::CORRUPT)) return ErrCorrupt();
      if (raised(etcdserverpb::NOSPACE) && TxnHasPut(r.txn())) {
        return ErrNoSpace();
      }
      return {};
    case R::kRange:
    case R::kDeleteRange:
    case R::kCompaction:
    case R::kLeaseRevoke:
      if (raised(etcdserverpb::CORRUPT)) return ErrCorrupt();
      return {};
    default:
      return {};
  }
}

base::Status Store::DoAlarm(const etcdserverpb::AlarmRequest& r,
                            etcdserverpb::AlarmResponse* resp) {
  const int type = static_cast<int>(r.alarm());
  const std::pair<int, uint64_t> key{type, r.memberid()};
  switch (r.action()) {
    case etcdserverpb::AlarmRequest::GET:
      // As etcd: the member ID is not a filter; NONE means every type.
      for (const auto& [t, m] : alarms_) {
        if (type == etcdserverpb::NONE || t == type) {
          *resp->add_alarms() = Member(t, m);
        }
      }
      return {};
    case etcdserverpb::AlarmRequest::ACTIVATE:
      if (!alarms_.contains(key)) {
        CAIRN_RETURN_IF_ERROR(
            Io(backend_->PutMeta(AlarmMetaName(key.first, key.second), 1)));
        alarms_.insert(key);
        CAIRN_LOG(kWarn, "kvstore", "alarm %s raised for member %llx",
                  etcdserverpb::AlarmType_Name(r.alarm()).c_str(),
                  static_cast<unsigned long long>(r.memberid()));
      }
      *resp->add_alarms() = Member(key.first, key.second);
      return {};
    case etcdserverpb::AlarmRequest::DEACTIVATE:
      if (alarms_.contains(key)) {
        CAIRN_RETURN_IF_ERROR(
            Io(backend_->DeleteMeta(AlarmMetaName(key.first, key.second))));
        alarms_.erase(key);
        CAIRN_LOG(kInfo, "kvstore", "alarm %s cleared for member %llx",
                  etcdserverpb::AlarmType_Name(r.alarm()).c_str(),
                  static_cast<unsigned long long>(r.memberid()));
        *resp->add_alarms() = Member(key.first, key.second);
      }
      return {};
    default:
      return {};  // etcd answers an unknown action with an empty response.
  }
}

std::vector<etcdserverpb::AlarmMember> Store::Alarms() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<etcdserverpb::AlarmMember> out;
  for (const auto& [t, m] : alarms_) out.push_back(Member(t, m));
  return out;
}

void Store::UpdateSizes() {
  auto size = backend_->SizeBytes();
  auto in_use = backend_->SizeInUseBytes();
  if (size.ok()) db_size_.store(*size);
  if (in_use.ok()) db_size_in_use_.store(*in_use);
}

base::Status Store::Defragment() {
  std::unique_lock<std::mutex> lock(mu_);
  batch_closed_.wait(lock, [this] { return !batch_open_ || !failed_.ok(); });
  CAIRN_RETURN_IF_ERROR(failed_);
  int64_t before = db_size_.load();
  CAIRN_RETURN_IF_ERROR(
      backend_->Vacuum());  // SQLite rolls a failed VACUUM back.
  UpdateSizes();
  CAIRN_LOG(kInfo, "kvstore", "defragmented %s: %lld -> %lld bytes",
            backend_->path().c_str(), static_cast<long long>(before),
            static_cast<long long>(db_size_.load()));
  return {};
}

}  // namespace kvstore

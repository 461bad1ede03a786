#include "raft/config.h"

#include <string>

namespace raft {
namespace {

base::Status Invalid(const std::string& m) {
  return base::Status::InvalidArgument("raft config: " + m);
}

}  // namespace

base::Status Config::Validate() {
  if (id == kNone) return Invalid("id must not be 0 (kNone)");
  if (heartbeat_tick <= 0) return Invalid("heartbeat_tick must be > 0");
  if (election_tick <= heartbeat_tick) {
    return Invalid("election_tick must be greater than heartbeat_tick");
  }
  if (storage == nullptr) return Invalid("storage must not be null");
  if (max_inflight_msgs <= 0) return Invalid("max_inflight_msgs must be > 0");
  if (max_uncommitted_entries_size == 0) {
    max_uncommitted_entries_size = kNoLimit;
  }
  // Default max_committed_size_per_ready to max_size_per_msg (etcd keeps
  // them equal unless told otherwise).
  if (max_committed_size_per_ready == 0) {
    max_committed_size_per_ready = max_size_per_msg;
  }
  if (max_inflight_bytes == 0) {
    max_inflight_bytes = kNoLimit;
  } else if (max_inflight_bytes < max_size_per_msg) {
    return Invalid("max_inflight_bytes must be >= max_size_per_msg");
  }
  if (max_clock_drift_ticks < 0 || max_clock_drift_ticks >= election_tick) {
    return Invalid("max_clock_drift_ticks must be in [0, election_tick)");
  }
  if (read_only_option == ReadOnlyOption::kReadOnlyLeaseBased &&
      !check_quorum) {
    return Invalid(
        "check_quorum must be enabled when read_only_option is "
        "kReadOnlyLeaseBased");
  }
  return base::Status();
}

}  // namespace raft

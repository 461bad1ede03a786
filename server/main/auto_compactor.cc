#include "server/main/auto_compactor.h"

#include <algorithm>
#include <cinttypes>
#include <memory>
#include <string>

#include "base/check.h"
#include "base/log.h"

namespace server {

CompactionPolicy::CompactionPolicy(CompactionMode mode, uint64_t retention,
                                   uint64_t start_ms)
    : mode_(mode), retention_(retention), last_success_ms_(start_ms) {
  CAIRN_CHECK(retention > 0, "auto compaction with retention 0");
  if (mode == CompactionMode::kRevision) {
    sample_ms_ = kRevisionIntervalMs;
    return;
  }
  interval_ms_ = std::min(retention, kHourMs);
  sample_ms_ = std::max<uint64_t>(interval_ms_ / 10, 1);
  keep_ = static_cast<size_t>(retention / sample_ms_) + 1;
  wait_ms_ = retention;  // the first window is the whole retention
}

std::optional<int64_t> CompactionPolicy::OnSample(uint64_t now_ms,
                                                  int64_t current_revision) {
  if (mode_ == CompactionMode::kRevision) {
    int64_t target = current_revision - static_cast<int64_t>(retention_);
    if (target <= 0 || target == last_revision_) return std::nullopt;
    return target;
  }
  samples_.push_back(current_revision);
  if (samples_.size() > keep_) samples_.pop_front();
  if (now_ms - last_success_ms_ < wait_ms_) return std::nullopt;
  int64_t target = samples_.front();  // the revision of `retention` ago
  if (target <= 0 || target == last_revision_) return std::nullopt;
  return target;
}

void CompactionPolicy::OnCompacted(int64_t revision, uint64_t now_ms) {
  last_revision_ = revision;
  last_success_ms_ = now_ms;
  wait_ms_ = interval_ms_;
}

AutoCompactor::AutoCompactor(uv_loop_t* loop, CompactionMode mode,
                             uint64_t retention, Hooks hooks)
    : loop_(loop),
      mode_(mode),
      retention_(retention),
      hooks_(std::move(hooks)),
      policy_(mode, retention, uv_now(loop)) {}

base::Status AutoCompactor::Start() {
  int rc = uv_timer_init(loop_, timer_.get());
  if (rc < 0) {
    return base::Status::Internal(std::string("auto compaction timer: ") +
                                  uv_strerror(rc));
  }
  timer_.MarkInitialized();
  timer_->data = this;
  uint64_t every = policy_.sample_interval_ms();
  uv_timer_start(timer_.get(), &AutoCompactor::OnTimer, every, every);
  if (mode_ == CompactionMode::kPeriodic) {
    CAIRN_LOG(kInfo, "compactor",
              "auto compaction: periodic, retention %" PRIu64 " ms",
              retention_);
  } else {
    CAIRN_LOG(kInfo, "compactor",
              "auto compaction: revision, retention %" PRIu64 " revisions",
              retention_);
  }
  return base::Status::OK();
}

void AutoCompactor::Stop() { timer_.Close(); }

void AutoCompactor::OnTimer(uv_timer_t* t) {
  if (t->data != nullptr) static_cast<AutoCompactor*>(t->data)->Sample();
}

void AutoCompactor::Sample() {
  const uint64_t now = uv_now(loop_);
  std::optional<int64_t> target =
      policy_.OnSample(now, hooks_.current_revision());
  if (!target || compacting_ || !hooks_.is_leader()) return;
  compacting_ = true;
  const int64_t rev = *target;
  CAIRN_LOG(kInfo, "compactor", "starting auto-compaction at revision %" PRId64,
            rev);
  // The timer (and so this object) is alive while the proposal is: Stop()
  // runs after the node stopped, which answers every pending proposal.
  hooks_.compact(rev, [this, rev](const base::Status& s) {
    compacting_ = false;
    if (s.ok() || s.message().find("compacted") != std::string::npos) {
      policy_.OnCompacted(rev, uv_now(loop_));
      CAIRN_LOG(kInfo, "compactor",
                "finished auto-compaction at revision %" PRId64, rev);
      return;
    }
    CAIRN_LOG(kWarn, "compactor",
              "auto-compaction at revision %" PRId64 " failed: %s (retrying)",
              rev, s.ToString().c_str());
  });
}

}  // namespace server

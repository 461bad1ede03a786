#pragma once

// Automatic compaction, etcd's --auto-compaction-mode / -retention.
//
// CompactionPolicy decides, from samples of the current revision taken at a
// fixed interval, which revision to compact to and when. It is pure (time
// is an argument) so that its rules are tested directly:
//
//   periodic, retention R (ms):  interval I = min(R, 1 h); a sample every
//     I/10; the samples of the last R are kept, so the oldest is the
//     revision of R ago. The first compaction comes once R has passed,
//     later ones every I, each to the oldest sample, skipped when that is
//     the revision compacted last time. (R = 30m: compact every 30 min to
//     the revision of 30 min ago, sampled every 3 min; R = 72h: every hour.)
//   revision, retention N:  a sample every 5 min; compacts to current - N
//     when that is positive and not the revision compacted last time.
//
// AutoCompactor runs the policy on the member's libuv loop. Samples are
// taken on every member, but only the leader proposes a compaction (as
// etcd pauses its compactor on followers), so a new leader compacts on the
// same schedule without a fresh retention window. A compaction that fails
// is retried at the next sample; "already compacted" counts as done.
//
// Thread safety: loop thread only.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>

#include "server/config/config.h"
#include "server/net/handle.h"

namespace server {

class CompactionPolicy {
 public:
  static constexpr uint64_t kHourMs = 3600 * 1000;
  static constexpr uint64_t kRevisionIntervalMs = 5 * 60 * 1000;

  // `retention` is ms for kPeriodic and a revision count for kRevision;
  // REQUIRES: retention > 0. `start_ms` is the time of construction.
  CompactionPolicy(CompactionMode mode, uint64_t retention, uint64_t start_ms);

  // How often to call OnSample.
  uint64_t sample_interval_ms() const { return sample_ms_; }

  // Records the current revision at `now_ms`; returns the revision to
  // compact to now, if any.
  std::optional<int64_t> OnSample(uint64_t now_ms, int64_t current_revision);

  // Reports that the compaction to `revision` succeeded at `now_ms`.
  void OnCompacted(int64_t revision, uint64_t now_ms);

 private:
  const CompactionMode mode_;
  const uint64_t retention_;
  uint64_t sample_ms_ = 0;
  uint64_t interval_ms_ = 0;  // periodic: between compactions
  size_t keep_ = 0;           // periodic: samples kept
  uint64_t wait_ms_ = 0;      // periodic: until the next compaction is due
  uint64_t last_success_ms_;
  int64_t last_revision_ = 0;
  std::deque<int64_t> samples_;
};

class AutoCompactor {
 public:
  struct Hooks {
    std::function<int64_t()> current_revision;
    std::function<bool()> is_leader;
    // Proposes a compaction; `done` gets its status (OK, or etcd's error).
    std::function<void(int64_t revision,
                       std::function<void(const base::Status&)> done)>
        compact;
  };

  // REQUIRES: retention > 0 (0 disables auto compaction: don't create one).
  AutoCompactor(uv_loop_t* loop, CompactionMode mode, uint64_t retention,
                Hooks hooks);

  base::Status Start();
  void Stop();

 private:
  static void OnTimer(uv_timer_t* t);
  void Sample();

  uv_loop_t* const loop_;
  const CompactionMode mode_;
  const uint64_t retention_;
  Hooks hooks_;
  CompactionPolicy policy_;
  bool compacting_ = false;
  net::UvHandle<uv_timer_t> timer_;
};

}  // namespace server

#include "fuzz/sim/shrink.h"

#include <algorithm>

namespace fuzz::sim {

ShrinkResult Shrink(const SimOptions& options, const Schedule& failing,
                    int max_runs, const std::function<void(size_t)>& progress) {
  SimOptions quiet = options;
  quiet.trace = nullptr;
  ShrinkResult best;
  best.schedule = failing;
  best.run = RunSimulation(quiet, &best.schedule);
  best.runs = 1;
  const std::string kind = FailureKind(best.run.failure);
  if (best.run.ok) return best;

  auto try_candidate = [&](Schedule candidate) {
    ++best.runs;
    RunResult r = RunSimulation(quiet, &candidate);
    if (r.ok || FailureKind(r.failure) != kind) return false;
    // Events after the failure point are never reached: drop them.
    const size_t executed = r.schedule.size();
    candidate.resize(std::min(candidate.size(), executed));
    best.schedule = std::move(candidate);
    best.run = std::move(r);
    if (progress) progress(best.schedule.size());
    return true;
  };

  // Pass 1: delete chunks, halving the chunk size when nothing goes.
  size_t chunk = std::max<size_t>(best.schedule.size() / 2, 1);
  while (chunk >= 1 && best.runs < max_runs) {
    bool reduced = false;
    for (size_t start = 0;
         start < best.schedule.size() && best.runs < max_runs;) {
      Schedule candidate;
      candidate.reserve(best.schedule.size());
      const size_t end = std::min(start + chunk, best.schedule.size());
      candidate.insert(candidate.end(), best.schedule.begin(),
                       best.schedule.begin() + static_cast<ptrdiff_t>(start));
      candidate.insert(candidate.end(),
                       best.schedule.begin() + static_cast<ptrdiff_t>(end),
                       best.schedule.end());
      if (try_candidate(std::move(candidate))) {
        reduced = true;  // Retry at the same start: new events slid in.
      } else {
        start += chunk;
      }
    }
    if (!reduced) {
      if (chunk == 1) break;
      chunk /= 2;
    }
  }
  // Pass 2: simplify arguments (FIFO delivery, lowest node index).
  for (size_t i = 0; i < best.schedule.size() && best.runs < max_runs; ++i) {
    Event e = best.schedule[i];
    if (e.c != 0 &&
        (e.kind == EventKind::kDeliver || e.kind == EventKind::kDrop ||
         e.kind == EventKind::kDuplicate)) {
      Schedule candidate = best.schedule;
      candidate[i].c = 0;
      (void)try_candidate(std::move(candidate));
    }
  }
  return best;
}

}  // namespace fuzz::sim

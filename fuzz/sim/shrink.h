#pragma once

// Shrink: reduces a failing schedule to a short one that fails the same way.
//
// Delta debugging (Zeller's ddmin, simplified): try deleting chunks of the
// schedule, from halves down to single events; keep a deletion when the run
// still fails with the same FailureKind (simulator.h). Deleting is always
// allowed because every sub-sequence of a schedule is a schedule
// (schedule.h). Then a second pass tries simplifying events in place
// (delivering the oldest message instead of a later one).
//
// Each attempt is one full run, so the cost is O(attempts * run); the
// attempts are bounded by `max_runs`.
//
// Thread safety: as RunSimulation.

#include <cstdint>
#include <functional>

#include "fuzz/sim/options.h"
#include "fuzz/sim/schedule.h"
#include "fuzz/sim/simulator.h"

namespace fuzz::sim {

struct ShrinkResult {
  Schedule schedule;  // The shortest failing schedule found.
  RunResult run;      // Its run.
  int runs = 0;       // Simulations run while shrinking.
};

// REQUIRES: RunSimulation(options, &failing) fails. `progress`, when set,
// is called after each successful reduction with the new length.
ShrinkResult Shrink(const SimOptions& options, const Schedule& failing,
                    int max_runs = 20000,
                    const std::function<void(size_t)>& progress = nullptr);

}  // namespace fuzz::sim

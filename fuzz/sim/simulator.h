#pragma once

// RunSimulation: one complete simulated run, and what it found.
//
// A run has three phases:
//  1. Faults: `options.steps` events drawn by the Generator from the seed
//     (or the events of a given schedule), each followed by the safety
//     checks (cluster.h).
//  2. Liveness: faults stop, every crashed node restarts, the network heals
//     and delivers in order; every node ticks once per round and the
//     cluster stabilizes between ticks. Within
//     options.liveness_bound_ticks rounds a leader must be elected and a
//     new proposal at it must be applied on every node; the rounds it took
//     are the run's ticks to recovery.
//  3. Linearizability: the clients' history (cluster.h) is checked with
//     fuzz/linearizability.h.
//
// Thread safety: runs are independent; several may run on several threads.

#include <cstdint>
#include <string>

#include "fuzz/sim/options.h"
#include "fuzz/sim/schedule.h"

namespace fuzz::sim {

struct RunResult {
  bool ok = true;
  // For a failure: which check broke (e.g. "election safety: ...",
  // "liveness: ...", "linearizability: ..."), and after which event (1-
  // based; steps + 1 and later are the liveness phase).
  std::string failure;
  int64_t failed_at = 0;
  // The events executed in phase 1: the schedule to replay or shrink.
  Schedule schedule;
  // Phase 2: rounds (ticks of every node) until recovery; -1 if not reached.
  int recovery_ticks = -1;
  // Node ticks in the whole run (simulated time; 1 tick ~ 100 ms in a
  // server configured like etcd's defaults).
  uint64_t ticks = 0;
  size_t operations = 0;                 // In the client history.
  bool linearizability_unknown = false;  // The checker's budget ran out.
};

// Runs the simulation described by options; when `replay` is non-null its
// events replace the generated ones (options.steps is then ignored).
RunResult RunSimulation(const SimOptions& options,
                        const Schedule* replay = nullptr);

// The first words of a failure, naming the broken rule ("election safety",
// "liveness"): what the shrinker keeps fixed.
std::string FailureKind(const std::string& failure);

}  // namespace fuzz::sim

// The CI smoke campaign: a few hundred seeds of the full fault mix over
// cluster sizes 3 to 7, all of which must pass. SIM_SMOKE_SEEDS and
// SIM_SEED change the count and the first seed.

#include <gtest/gtest.h>

#include <iostream>

#include "fuzz/sim/simulator.h"
#include "tests/fuzz/sim_test_util.h"

namespace fuzz::sim {
namespace {

TEST(SmokeCampaignTest, AllSeedsPass) {
  const uint64_t first = testing::EnvOr("SIM_SEED", 1000);
  const uint64_t count = testing::EnvOr("SIM_SMOKE_SEEDS", 250);
  int failures = 0;
  uint64_t ticks = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    SimOptions o;
    o.seed = seed;
    o.nodes = 3 + static_cast<int>(seed % 5);
    o.steps = 500;
    RunResult r = RunSimulation(o);
    ticks += r.ticks;
    if (!r.ok) {
      ++failures;
      ADD_FAILURE() << "seed " << seed << ": " << r.failure
                    << "\n  replay: sim " << FormatOptions(o) << " --trace";
    }
  }
  std::cout << count << " seeds from " << first << ", " << failures
            << " failures, " << ticks << " node ticks\n";
}

}  // namespace
}  // namespace fuzz::sim

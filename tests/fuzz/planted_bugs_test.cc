// The checker must be able to fail: with each planted bug, the simulator
// finds a violation within a bounded number of seeds. The seed counts are
// printed (and reported in docs/testing.md). PLANTED_SEED_BASE moves the
// seed range.

#include <gtest/gtest.h>

#include <functional>
#include <iostream>
#include <string>

#include "fuzz/sim/simulator.h"
#include "tests/fuzz/sim_test_util.h"

namespace fuzz::sim {
namespace {

struct PlantedBug {
  const char* name;
  std::function<void(SimOptions*)> plant;
  int max_seeds;
};

// Runs seeds until one fails; returns how many seeds it took (0 = none).
int SeedsToCatch(const PlantedBug& bug, std::string* failure,
                 std::string* replay) {
  const uint64_t base = testing::EnvOr("PLANTED_SEED_BASE", 1);
  for (int i = 0; i < bug.max_seeds; ++i) {
    SimOptions o;
    o.seed = base + static_cast<uint64_t>(i);
    o.nodes = 3 + static_cast<int>(o.seed % 3);
    o.steps = 1500;
    bug.plant(&o);
    RunResult r = RunSimulation(o);
    if (!r.ok) {
      *failure = r.failure;
      *replay = "sim " + FormatOptions(o) + " --trace";
      return i + 1;
    }
  }
  return 0;
}

class PlantedBugTest : public ::testing::TestWithParam<PlantedBug> {};

TEST_P(PlantedBugTest, CaughtWithinBoundedSeeds) {
  const PlantedBug& bug = GetParam();
  std::string failure, replay;
  const int seeds = SeedsToCatch(bug, &failure, &replay);
  ASSERT_GT(seeds, 0) << bug.name << " not caught in " << bug.max_seeds
                      << " seeds";
  std::cout << "planted bug " << bug.name << ": caught after " << seeds
            << " seed(s): " << failure.substr(0, failure.find('\n'))
            << "\n  replay: " << replay << "\n";
}

INSTANTIATE_TEST_SUITE_P(
    Bugs, PlantedBugTest,
    ::testing::Values(
        PlantedBug{
            "vote_without_log_check",
            [](SimOptions* o) { o->knobs.vote_without_log_check = true; }, 200},
        PlantedBug{
            "commit_prior_term_by_count",
            [](SimOptions* o) { o->knobs.commit_prior_term_by_count = true; },
            200},
        PlantedBug{
            "read_index_without_heartbeat",
            [](SimOptions* o) { o->knobs.read_index_without_heartbeat = true; },
            200},
        PlantedBug{"forget_vote_on_restart",
                   [](SimOptions* o) { o->forget_vote_on_restart = true; },
                   200},
        // The same bug with the vote-durability check off: only its
        // consequence (two leaders in a term, or worse) can catch it.
        PlantedBug{"forget_vote_on_restart_consequences",
                   [](SimOptions* o) {
                     o->forget_vote_on_restart = true;
                     o->check_vote_durability = false;
                   },
                   400}),
    [](const ::testing::TestParamInfo<PlantedBug>& p) {
      return std::string(p.param.name);
    });

}  // namespace
}  // namespace fuzz::sim

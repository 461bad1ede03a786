// The checker must be able to fail: with each planted bug, the simulator
// finds a violation within a bounded number of seeds. The seed counts are
// printed (and reported in docs/testing.md). PLANTED_SEED_BASE moves the
// seed range.
//
// Each bug runs under the generator profile that makes its schedule likely
// (the default swarm profile finds them too, but needs more seeds; see
// docs/testing.md for the rates): Figure 8 needs leaders to crash between
// single-entry appends, a stale read needs a long partition of a leader
// that does not step down (check-quorum off).

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
    o.steps = 2000;
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
            [](SimOptions* o) { o->knobs.vote_without_log_check = true; }, 100},
        PlantedBug{"commit_prior_term_by_count",
                   [](SimOptions* o) {
                     o->knobs.commit_prior_term_by_count = true;
                     o->profile = "crashy";
                     o->nodes = 3;
                     o->steps = 4000;
                     o->pre_vote = 0;
                     o->check_quorum = 0;
                   },
                   100},
        PlantedBug{"read_index_without_heartbeat",
                   [](SimOptions* o) {
                     o->knobs.read_index_without_heartbeat = true;
                     o->profile = "partitiony";
                     o->check_quorum = 0;
                   },
                   150},
        PlantedBug{"forget_vote_on_restart",
                   [](SimOptions* o) { o->forget_vote_on_restart = true; },
                   100},
        // The same bug with the vote-durability check off: only its
        // consequence (two leaders in a term, or worse) can catch it.
        PlantedBug{"forget_vote_on_restart_consequences",
                   [](SimOptions* o) {
                     o->forget_vote_on_restart = true;
                     o->check_vote_durability = false;
                     o->profile = "crashy";
                     o->nodes = 3;
                     o->pre_vote = 0;
                     o->check_quorum = 0;
                   },
                   150}),
    [](const ::testing::TestParamInfo<PlantedBug>& p) {
      return std::string(p.param.name);
    });

}  // namespace
}  // namespace fuzz::sim

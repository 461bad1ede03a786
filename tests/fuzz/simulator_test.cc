// The simulator end to end: determinism, replay, clean runs of the real
// raft, and the shrinker.

#include "fuzz/sim/simulator.h"

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>

#include "fuzz/sim/shrink.h"
#include "tests/fuzz/sim_test_util.h"

namespace fuzz::sim {
namespace {

TEST(SimulatorTest, SameSeedSameRunAndScheduleReplaysIt) {
  SimOptions o;
  o.seed = testing::EnvOr("SIM_SEED", 11);
  o.steps = 800;
  std::ostringstream t1, t2, t3;
  o.trace = &t1;
  RunResult a = RunSimulation(o);
  o.trace = &t2;
  RunResult b = RunSimulation(o);
  EXPECT_EQ(a.schedule, b.schedule);
  EXPECT_EQ(t1.str(), t2.str());
  EXPECT_GT(t1.str().size(), 1000u);
  o.trace = &t3;
  RunResult c = RunSimulation(o, &a.schedule);
  EXPECT_EQ(t1.str(), t3.str()) << "replaying the schedule differs";
  EXPECT_EQ(a.ok, c.ok);
  // A different seed gives a different run.
  o.trace = nullptr;
  o.seed += 1;
  EXPECT_NE(RunSimulation(o).schedule, a.schedule);
}

TEST(SimulatorTest, CleanRunsOfEveryClusterSize) {
  const uint64_t base = testing::EnvOr("SIM_SEED", 1);
  for (int nodes = 3; nodes <= 7; ++nodes) {
    for (uint64_t seed = base; seed < base + 4; ++seed) {
      SimOptions o;
      o.seed = seed;
      o.nodes = nodes;
      o.steps = 1000;
      RunResult r = RunSimulation(o);
      EXPECT_TRUE(r.ok) << r.failure << "\n  replay: sim " << FormatOptions(o)
                        << " --trace";
      EXPECT_GE(r.recovery_ticks, 0) << FormatOptions(o);
      EXPECT_GT(r.operations, 0u) << FormatOptions(o);
    }
  }
}

TEST(SimulatorTest, EachFaultAloneAndNoFaults) {
  for (const char* faults : {"none", "loss", "dup", "reorder", "partition",
                             "crash", "snapshot", "transfer", "skew"}) {
    SimOptions o;
    o.seed = testing::EnvOr("SIM_SEED", 3);
    o.steps = 800;
    o.faults = ParseFaults(faults).value();
    RunResult r = RunSimulation(o);
    EXPECT_TRUE(r.ok) << r.failure << "\n  replay: sim " << FormatOptions(o);
  }
}

TEST(SimulatorTest, ShrinkerKeepsTheFailure) {
  // A planted bug gives a failing schedule; the shrinker must return a
  // shorter one that fails the same way.
  SimOptions o;
  o.forget_vote_on_restart = true;
  o.steps = 800;
  RunResult failing;
  for (o.seed = 1; o.seed <= 300; ++o.seed) {
    failing = RunSimulation(o);
    if (!failing.ok) break;
  }
  ASSERT_FALSE(failing.ok) << "forget-vote not caught in 300 seeds";
  ShrinkResult s = Shrink(o, failing.schedule, /*max_runs=*/500);
  std::cout << "seed " << o.seed << ": shrunk " << failing.schedule.size()
            << " -> " << s.schedule.size() << " events in " << s.runs
            << " runs: " << s.run.failure << "\n";
  EXPECT_FALSE(s.run.ok);
  EXPECT_EQ(FailureKind(s.run.failure), FailureKind(failing.failure));
  EXPECT_LT(s.schedule.size(), failing.schedule.size());
  RunResult again = RunSimulation(o, &s.schedule);
  EXPECT_FALSE(again.ok);
}

}  // namespace
}  // namespace fuzz::sim

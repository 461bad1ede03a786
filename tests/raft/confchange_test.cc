// The Changer (raft/confchange) driven by the datadriven files in
// tests/raft/testdata/confchange/ (ported from etcd's confchange testdata).
// Commands:
//
//   simple                 the changes on the input line, Simple()
//   enter-joint [autoleave=true]    EnterJoint()
//   leave-joint            LeaveJoint()
//
// Changes are written "v1 l2 r3 u4" (voter, learner, remove, update). The
// output is the new configuration and progress, or the error. The log's
// last index, which new members are probed from, is the number of
// commands run before (so `next` tells in which step a Progress was made).

#include "raft/confchange/confchange.h"

#include <gtest/gtest.h>

#include <string>

#include "raft/tracker/tracker.h"
#include "raft/util.h"
#include "tests/raft/datadriven/datadriven.h"

#ifndef CAIRN_RAFT_TESTDATA_DIR
#error "CAIRN_RAFT_TESTDATA_DIR must name tests/raft/testdata"
#endif

namespace raft::confchange {
namespace {

class ConfChangeDataDrivenTest : public ::testing::TestWithParam<std::string> {
};

std::string Handle(tracker::ProgressTracker& trk, uint64_t last_index,
                   const datadriven::TestData& d) {
  base::Result<std::vector<raftpb::ConfChangeSingle>> ccs =
      ConfChangesFromString(d.input);
  if (!ccs.ok()) return ccs.status().message() + "\n";
  Changer c(trk, last_index);
  base::Result<Changed> r = base::Status::InvalidArgument("unknown command");
  if (d.cmd == "simple") {
    r = c.Simple(*ccs);
  } else if (d.cmd == "enter-joint") {
    bool auto_leave = false;
    if (d.HasArg("autoleave")) {
      base::Result<bool> b = d.ScanBool("autoleave");
      if (!b.ok()) return b.status().message() + "\n";
      auto_leave = *b;
    }
    r = c.EnterJoint(auto_leave, *ccs);
  } else if (d.cmd == "leave-joint") {
    if (!ccs->empty()) return "this command takes no input\n";
    r = c.LeaveJoint();
  }
  if (!r.ok()) return r.status().message() + "\n";
  trk.config = r->config;
  trk.progress = r->progress;
  return trk.config.String() + "\n" +
         tracker::DescribeProgressMap(trk.progress);
}

TEST_P(ConfChangeDataDrivenTest, Run) {
  tracker::ProgressTracker trk(10, 0);
  uint64_t last_index = 0;
  datadriven::RunTest(GetParam(), [&](const datadriven::TestData& d) {
    std::string out = Handle(trk, last_index, d);
    ++last_index;
    return out;
  });
}

std::string FileTestName(const ::testing::TestParamInfo<std::string>& info) {
  return datadriven::TestNameOfFile(info.param);
}

INSTANTIATE_TEST_SUITE_P(Testdata, ConfChangeDataDrivenTest,
                         ::testing::ValuesIn(datadriven::ListTestFiles(
                             CAIRN_RAFT_TESTDATA_DIR "/confchange")),
                         FileTestName);

// Restore rebuilds exactly the configuration a ConfState describes
// (etcd's restore_test.go, with a table instead of quick-check).
TEST(ConfChangeRestoreTest, RoundTrips) {
  struct Case {
    const char* name;
    raftpb::ConfState cs;
  };
  auto cs = [](std::vector<uint64_t> voters, std::vector<uint64_t> learners,
               std::vector<uint64_t> outgoing,
               std::vector<uint64_t> learners_next, bool auto_leave) {
    raftpb::ConfState c;
    c.voters = std::move(voters);
    c.learners = std::move(learners);
    c.voters_outgoing = std::move(outgoing);
    c.learners_next = std::move(learners_next);
    c.auto_leave = auto_leave;
    return c;
  };
  const Case cases[] = {
      {"empty", cs({}, {}, {}, {}, false)},
      {"single", cs({1}, {}, {}, {}, false)},
      {"voters and learners", cs({1, 2, 3}, {4, 5}, {}, {}, false)},
      {"joint", cs({1, 2, 3}, {}, {1, 2, 4}, {}, true)},
      {"joint explicit", cs({4, 5}, {6}, {1, 2, 3}, {}, false)},
      {"joint learners_next", cs({1, 2, 3}, {5}, {1, 2, 4, 6}, {4}, false)},
      {"joint with same halves", cs({1, 2}, {}, {1, 2}, {}, false)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    tracker::ProgressTracker trk(10, 0);
    base::Result<Changed> r = Restore(trk, 7, c.cs);
    ASSERT_TRUE(r.ok()) << r.status();
    trk.config = r->config;
    trk.progress = r->progress;
    EXPECT_EQ(trk.ConfState(), c.cs);
    for (const auto& [id, pr] : trk.progress) {
      EXPECT_EQ(pr.next, 7u) << id;
      EXPECT_EQ(pr.is_learner, trk.config.learners.count(id) != 0) << id;
    }
  }
}

TEST(ConfChangeRestoreTest, RefusesImpossibleConfStates) {
  raftpb::ConfState learners_only;
  learners_only.learners = {1};
  raftpb::ConfState voter_and_learner;
  voter_and_learner.voters = {1};
  voter_and_learner.learners = {1};
  for (const raftpb::ConfState& cs : {learners_only, voter_and_learner}) {
    SCOPED_TRACE(DescribeConfState(cs));
    tracker::ProgressTracker trk(10, 0);
    EXPECT_FALSE(Restore(trk, 1, cs).ok());
  }
}

// Apply dispatches a ConfChangeV2 as raft does.
TEST(ConfChangeApplyTest, Dispatch) {
  tracker::ProgressTracker trk(10, 0);
  auto run = [&trk](const raftpb::ConfChangeV2& cc) {
    base::Result<Changed> r = Changer(trk, 1).Apply(cc);
    if (!r.ok()) return r.status().message();
    trk.config = r->config;
    trk.progress = r->progress;
    return trk.config.String();
  };
  raftpb::ConfChangeV2 cc;
  cc.changes = {{raftpb::kConfChangeAddNode, 1}};
  EXPECT_EQ(run(cc), "voters=(1)");
  // Two changes under the auto transition: joint, left automatically.
  cc.changes = {{raftpb::kConfChangeAddNode, 2},
                {raftpb::kConfChangeAddNode, 3}};
  EXPECT_EQ(run(cc), "voters=(1 2 3)&&(1) autoleave");
  EXPECT_EQ(run(cc), "config is already joint");
  EXPECT_EQ(run(raftpb::ConfChangeV2{}), "voters=(1 2 3)");
  EXPECT_EQ(run(raftpb::ConfChangeV2{}), "can't leave a non-joint config");
  // An explicit joint transition with one change.
  cc.transition = raftpb::kConfChangeTransitionJointExplicit;
  cc.changes = {{raftpb::kConfChangeRemoveNode, 3}};
  EXPECT_EQ(run(cc), "voters=(1 2)&&(1 2 3)");
  // An explicit transition with no change is not a LeaveJoint.
  cc.changes.clear();
  EXPECT_EQ(run(cc), "config is already joint");
  EXPECT_EQ(run(raftpb::ConfChangeV2{}), "voters=(1 2)");
  // A simple change of two voters is refused.
  cc.transition = raftpb::kConfChangeTransitionAuto;
  cc.changes = {{raftpb::kConfChangeRemoveNode, 1}};
  EXPECT_EQ(run(cc), "voters=(2)");
  cc.changes = {{raftpb::kConfChangeRemoveNode, 2}};
  EXPECT_EQ(run(cc), "removed all voters");
}

TEST(ConfChangeTestSetup, HasScenarios) {
  EXPECT_GE(
      datadriven::ListTestFiles(CAIRN_RAFT_TESTDATA_DIR "/confchange").size(),
      8u);
}

}  // namespace
}  // namespace raft::confchange

int main(int argc, char** argv) {
  datadriven::SetRewriteFromArgs(&argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

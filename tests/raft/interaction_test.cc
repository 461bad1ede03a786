// Runs every datadriven scenario in tests/raft/testdata/*.txt through a
// fresh InteractionEnv (see datadriven/interaction_env.h for the commands).
//
// To regenerate the expected outputs after an intended behavior change:
//   CAIRN_REWRITE=1 ./raft_interaction_test     (or pass --rewrite)
// then review the diff of the .txt files: it must show correct Raft.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "tests/raft/datadriven/datadriven.h"
#include "tests/raft/datadriven/interaction_env.h"
#include "tests/raft/harness/test_raft.h"

#ifndef CAIRN_RAFT_TESTDATA_DIR
#error "CAIRN_RAFT_TESTDATA_DIR must name tests/raft/testdata"
#endif

namespace raft_test {
namespace {

class InteractionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(InteractionTest, Run) {
  InteractionEnv env;
  datadriven::RunTest(GetParam(), [&env](const datadriven::TestData& d) {
    return env.Handle(d);
  });
}

std::string FileTestName(const ::testing::TestParamInfo<std::string>& info) {
  return datadriven::TestNameOfFile(info.param);
}

INSTANTIATE_TEST_SUITE_P(
    Testdata, InteractionTest,
    ::testing::ValuesIn(datadriven::ListTestFiles(CAIRN_RAFT_TESTDATA_DIR)),
    FileTestName);

// Runs a script of datadriven directives through a fresh environment and
// returns the concatenated outputs.
std::string RunScript(const std::string& script) {
  auto parsed = datadriven::ParseFile("inline", script);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return "";
  InteractionEnv env;
  std::string out;
  for (const datadriven::TestData& d : *parsed) out += env.Handle(d);
  return out;
}

// Regression (core bug): max_size_per_msg = 0 is valid ("at most one entry
// per message"), and max_committed_size_per_ready then defaults to it; a
// node so configured must not abort once entries commit. It did: the
// CHECK "applying entry size (0-0)=0 not positive" in
// RaftLog::NextCommittedEnts (fixed in 552ee34). Run in a child process
// so that an abort fails only this test.
TEST(InteractionRegressionTest, MaxSizePerMsgZeroCommits) {
  EXPECT_EXIT(
      {
        std::string out = RunScript(
            "log-level none\n----\n\n"
            "add-nodes 3 voters=(1,2,3) index=2 max-size-per-msg=0\n----\n\n"
            "campaign 1\n----\n\n"
            "stabilize\n----\n\n"
            "propose 1 x\n----\n\n"
            "stabilize\n----\n\n"
            "raft-log 3\n----\n");
        bool ok = out.find("2/4 EntryNormal \"x\"") != std::string::npos &&
                  out.find("error") == std::string::npos;
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

// Malformed messages from a peer (design.md: a bad peer frame must never
// crash a process). A correct leader never sends these; etcd/raft trusts
// its peers and panics. Raft::Step refuses each with InvalidArgument before
// changing any state. Each runs in a child process, so that an abort fails
// only its test.
void ExpectRefused(uint64_t to,
                   const std::function<raftpb::Message(RaftNetwork&)>& make) {
  EXPECT_EXIT(
      {
        RaftNetwork n = NewRaftNetwork(3);
        n.net->Send(Hup(1));
        n.net->Send(Prop(1, "x"));
        raftpb::Message m = make(n);
        raft::Raft& r = n.raft(to);
        raftpb::HardState hs = r.GetHardState();
        uint64_t last = r.raft_log().LastIndex();
        raft::StateType state = r.state();
        base::Status s = r.Step(m);
        bool ok = s.code() == base::StatusCode::kInvalidArgument &&
                  s.message().find("malformed") != std::string::npos &&
                  r.GetHardState() == hs && r.raft_log().LastIndex() == last &&
                  r.state() == state && r.ReadMessages().empty();
        for (uint64_t id = 1; id <= 3; ++id) {
          if (!n.raft(id).CheckInvariants().ok()) ok = false;
        }
        std::exit(ok ? 0 : 1);
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(MalformedPeerInputTest, EmptyMsgPropToLeader) {
  // Used to abort: CHECK "stepped empty MsgProp".
  ExpectRefused(1, [](RaftNetwork&) { return Msg(2, 1, raftpb::kMsgProp); });
}

TEST(MalformedPeerInputTest, MsgAppRespBeyondLastIndex) {
  // Progress.match would jump past the leader's log; the leader then
  // aborted trying to send a snapshot ("need non-empty snapshot").
  ExpectRefused(1, [](RaftNetwork& n) {
    raftpb::Message m = Msg(2, 1, raftpb::kMsgAppResp, n.raft(1).term());
    m.index = 100;
    return m;
  });
}

TEST(MalformedPeerInputTest, HeartbeatCommitBeyondLastIndex) {
  // Used to abort in log.cc: CHECK "tocommit(100) is out of range".
  ExpectRefused(2, [](RaftNetwork& n) {
    raftpb::Message m = Msg(1, 2, raftpb::kMsgHeartbeat, n.raft(1).term());
    m.commit = 100;
    return m;
  });
}

TEST(MalformedPeerInputTest, MsgAppEntryTermAboveMessageTerm) {
  // The follower appended an entry of term 99 while at term 1: invariant
  // "last log term > current term" broken.
  ExpectRefused(2, [](RaftNetwork& n) {
    raftpb::Message m = Msg(1, 2, raftpb::kMsgApp, n.raft(1).term());
    m.index = n.raft(2).raft_log().LastIndex();
    m.log_term = n.raft(2).raft_log().LastTerm();
    raftpb::Entry e;
    e.index = m.index + 1;
    e.term = 99;
    m.entries = {e};
    return m;
  });
}

TEST(MalformedPeerInputTest, MsgAppEntriesNotContiguous) {
  ExpectRefused(2, [](RaftNetwork& n) {
    raftpb::Message m = Msg(1, 2, raftpb::kMsgApp, n.raft(1).term());
    m.index = n.raft(2).raft_log().LastIndex();
    m.log_term = n.raft(2).raft_log().LastTerm();
    raftpb::Entry e;
    e.index = m.index + 2;
    e.term = m.term;
    m.entries = {e};
    return m;
  });
}

TEST(InteractionTestSetup, HasScenarios) {
  EXPECT_GE(datadriven::ListTestFiles(CAIRN_RAFT_TESTDATA_DIR).size(), 5u);
}

}  // namespace
}  // namespace raft_test

int main(int argc, char** argv) {
  datadriven::SetRewriteFromArgs(&argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

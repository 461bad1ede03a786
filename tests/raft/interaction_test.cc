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
#include <string>

#include "tests/raft/datadriven/datadriven.h"
#include "tests/raft/datadriven/interaction_env.h"

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
  std::string name = std::filesystem::path(info.param).stem().string();
  std::replace_if(
      name.begin(), name.end(),
      [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
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
// RaftLog::NextCommittedEnts. Run in a child process so that an abort
// fails only this test.
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

// Runs every datadriven scenario in tests/raft/testdata/*.txt through a
// fresh InteractionEnv (see datadriven/interaction_env.h for the commands).
//
// To regenerate the expected outputs after an intended behavior change:
//   CAIRN_REWRITE=1 ./raft_interaction_test     (or pass --rewrite)
// then review the diff of the .txt files: it must show correct Raft.

#include <gtest/gtest.h>

#include <algorithm>
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

#include "tests/raft/datadriven/datadriven.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace datadriven {
namespace {

TEST(DatadrivenTest, ParsesCommandsArgsInputAndOutput) {
  const std::string content =
      "# comment\n"
      "\n"
      "add-nodes 3 voters=(1,2,3) index=2 pre-vote=true\n"
      "----\n"
      "line one\n"
      "line two\n"
      "\n"
      "propose 1 \"hello world\"\n"
      "some input\n"
      "----\n"
      "ok\n";
  auto parsed = ParseFile("f.txt", content);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  const TestData& a = (*parsed)[0];
  EXPECT_EQ(a.pos, "f.txt:3");
  EXPECT_EQ(a.cmd, "add-nodes");
  ASSERT_EQ(a.cmd_args.size(), 4u);
  EXPECT_EQ(a.cmd_args[0].key, "3");
  EXPECT_TRUE(a.cmd_args[0].vals.empty());
  EXPECT_EQ(a.cmd_args[1].vals, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(*a.ScanUint("index"), 2u);
  EXPECT_EQ(*a.ScanUint("voters", 2), 3u);
  EXPECT_TRUE(*a.ScanBool("pre-vote"));
  EXPECT_FALSE(a.ScanUint("missing").ok());
  EXPECT_FALSE(a.ScanUint("pre-vote").ok());
  EXPECT_EQ(a.expected, "line one\nline two\n");
  const TestData& b = (*parsed)[1];
  EXPECT_EQ(b.cmd_args[1].key, "\"hello world\"");
  EXPECT_EQ(b.input, "some input\n");
  EXPECT_EQ(b.expected, "ok\n");
}

TEST(DatadrivenTest, FencedOutputKeepsBlankLines) {
  const std::string content =
      "cmd\n"
      "----\n"
      "----\n"
      "a\n"
      "\n"
      "b\n"
      "----\n"
      "----\n"
      "\n"
      "next\n"
      "----\n";
  auto parsed = ParseFile("f.txt", content);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[0].expected, "a\n\nb\n");
  EXPECT_EQ((*parsed)[1].expected, "");
}

TEST(DatadrivenTest, ContinuationLines) {
  auto parsed = ParseFile("f.txt", "cmd a=1 \\\n  b=2\n----\nok\n");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ((*parsed)[0].cmd_args.size(), 2u);
  EXPECT_EQ(*(*parsed)[0].ScanUint("b"), 2u);
}

TEST(DatadrivenTest, RejectsMalformedFiles) {
  EXPECT_FALSE(ParseFile("f", "cmd\nno separator\n").ok());
  EXPECT_FALSE(ParseFile("f", "cmd\n----\n----\nunterminated\n").ok());
  EXPECT_FALSE(ParseFile("f", "cmd a=(1,2\n----\n").ok());
}

TEST(DatadrivenTest, RewriteReplacesOnlyOutputs) {
  const std::string content =
      "# keep me\n"
      "a x=1\n"
      "----\n"
      "old\n"
      "old2\n"
      "\n"
      "# and me\n"
      "b\n"
      "----\n";
  auto parsed = ParseFile("f.txt", content);
  ASSERT_TRUE(parsed.ok());
  std::string got = Rewrite(content, *parsed, {"new\n", "p\n\nq"});
  EXPECT_EQ(got,
            "# keep me\n"
            "a x=1\n"
            "----\n"
            "new\n"
            "\n"
            "# and me\n"
            "b\n"
            "----\n"
            "----\n"
            "p\n"
            "\n"
            "q\n"
            "----\n"
            "----\n");
  // Rewriting is a fixed point: parsing the result yields the new outputs.
  auto reparsed = ParseFile("f.txt", got);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ((*reparsed)[0].expected, "new\n");
  EXPECT_EQ((*reparsed)[1].expected, "p\n\nq\n");
  EXPECT_EQ(Rewrite(got, *reparsed, {"new\n", "p\n\nq\n"}), got);
}

TEST(DatadrivenTest, RunTestRewritesFileInRewriteMode) {
  auto dir = std::filesystem::temp_directory_path() /
             ("dd_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "t.txt").string();
  {
    std::ofstream f(path);
    f << "echo hi\n----\nstale\n";
  }
  setenv("CAIRN_REWRITE", "1", 1);
  RunTest(path, [](const TestData& d) { return d.cmd_args[0].key + "\n"; });
  unsetenv("CAIRN_REWRITE");
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), "echo hi\n----\nhi\n");
  // And in check mode the rewritten file passes.
  RunTest(path, [](const TestData& d) { return d.cmd_args[0].key; });
  EXPECT_EQ(ListTestFiles(dir.string()), std::vector<std::string>{path});
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace datadriven

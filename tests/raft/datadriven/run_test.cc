// RunTest and ListTestFiles: the gtest-facing part of the datadriven reader.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/raft/datadriven/datadriven.h"

namespace datadriven {

void RunTest(const std::string& path,
             const std::function<std::string(const TestData&)>& handler) {
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string content = buf.str();
  const std::string name = std::filesystem::path(path).filename().string();
  base::Result<std::vector<TestData>> parsed = ParseFile(name, content);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();

  const bool rewrite = RewriteRequested();
  std::vector<std::string> outputs;
  for (const TestData& d : *parsed) {
    std::string actual = NormalizeOutput(handler(d));
    if (rewrite) {
      outputs.push_back(std::move(actual));
      continue;
    }
    std::string expected = NormalizeOutput(d.expected);
    if (actual != expected) {
      ADD_FAILURE() << d.pos << ": output of \"" << d.cmd
                    << "\" differs (rerun with CAIRN_REWRITE=1 to "
                       "regenerate, then review the diff)\n"
                    << "--- expected\n"
                    << expected << "--- actual\n"
                    << actual;
    }
  }
  if (rewrite) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << Rewrite(content, *parsed, outputs);
    ASSERT_TRUE(out.good()) << "cannot write " << path;
  }
}

std::string TestNameOfFile(const std::string& path) {
  std::string name = std::filesystem::path(path).stem().string();
  std::replace_if(
      name.begin(), name.end(),
      [](char c) { return !std::isalnum(static_cast<unsigned char>(c)); }, '_');
  return name;
}

std::vector<std::string> ListTestFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".txt") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace datadriven

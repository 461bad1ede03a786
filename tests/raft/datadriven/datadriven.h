#pragma once

// A reader and rewriter of datadriven test files, in the format of
// cockroachdb/datadriven that etcd/raft's interaction tests use:
//
//   # A comment line.
//   command arg1 key=value key=(v1,v2)
//   optional input lines
//   ----
//   expected output, up to the next blank line
//
// When the expected output itself contains blank lines, it is fenced with a
// doubled separator:
//
//   command
//   ----
//   ----
//   output with
//
//   a blank line
//   ----
//   ----
//
// A command line ending in a backslash continues on the next line. The file is
// run directive by directive; each directive's actual output is compared with
// its expected output. In rewrite mode (RewriteRequested()) the expected
// outputs are replaced by the actual ones and the file is written back, so a
// reviewer reads the change as a diff of the .txt file.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace datadriven {

// One argument of a command: `key`, `key=value` or `key=(v1,v2,...)`.
struct CmdArg {
  std::string key;
  std::vector<std::string> vals;

  // "key", "key=v" or "key=(v1,v2)", as written (normalized spacing).
  std::string ToString() const;
};

// One directive of a file.
struct TestData {
  // "file:line" of the command line, for error messages.
  std::string pos;
  std::string cmd;
  std::vector<CmdArg> cmd_args;
  // The lines between the command and the separator, each ending in '\n'.
  std::string input;
  // The expected output; empty, or ending in '\n'.
  std::string expected;

  // Byte range [output_begin, output_end) of the file holding the expected
  // output block (including any doubled separators), replaced on rewrite.
  size_t output_begin = 0;
  size_t output_end = 0;

  // True when an argument named `key` is present.
  bool HasArg(std::string_view key) const;
  // The argument named `key`, or nullptr.
  const CmdArg* Arg(std::string_view key) const;
  // The idx-th value of argument `key`, parsed. Errors name pos and key:
  // NotFound when absent, InvalidArgument when not parseable.
  base::Result<uint64_t> ScanUint(std::string_view key, size_t idx = 0) const;
  base::Result<std::string> ScanString(std::string_view key,
                                       size_t idx = 0) const;
  base::Result<bool> ScanBool(std::string_view key, size_t idx = 0) const;
};

// Parses a file's contents. `name` is used in positions. Errors
// (InvalidArgument, naming the line) for a directive missing its separator or
// an unterminated fenced block or parenthesized argument.
base::Result<std::vector<TestData>> ParseFile(std::string_view name,
                                              std::string_view content);

// Formats `output` as an expected-output block as it is written to a file
// (fenced when it contains a blank line), ending in '\n' unless empty.
std::string FormatOutputBlock(std::string_view output);

// Returns `content` with each directive's expected-output block replaced by
// the matching entry of `outputs` (same order and count as `directives`).
std::string Rewrite(std::string_view content,
                    const std::vector<TestData>& directives,
                    const std::vector<std::string>& outputs);

// Normalizes an output for comparison and writing: empty stays empty,
// anything else ends in exactly one '\n'.
std::string NormalizeOutput(std::string_view output);

// True when expected outputs should be regenerated: the test binary was run
// with --rewrite (see SetRewriteFromArgs) or CAIRN_REWRITE=1 is set.
bool RewriteRequested();
// Scans argv for "--rewrite" (and removes it), for test mains.
void SetRewriteFromArgs(int* argc, char** argv);

// Runs every directive of the file at `path` through `handler` and checks its
// output against the expected one, reporting each mismatch as a gtest
// failure with the directive's position. In rewrite mode writes the file
// back with the actual outputs instead. The handler returns the output text.
void RunTest(const std::string& path,
             const std::function<std::string(const TestData&)>& handler);

// The *.txt files in `dir`, sorted, as full paths.
std::vector<std::string> ListTestFiles(const std::string& dir);
// A gtest parameter name for a test file: its stem with every character
// that is not alphanumeric replaced by '_'.
std::string TestNameOfFile(const std::string& path);

}  // namespace datadriven

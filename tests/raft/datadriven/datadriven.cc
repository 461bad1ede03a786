#include "tests/raft/datadriven/datadriven.h"

#include <cstdlib>
#include <string>
#include <utility>

namespace datadriven {
namespace {

constexpr std::string_view kSeparator = "----";

// A line of the file: its text (without '\n') and the byte offset just past
// its end (past the '\n' when present).
struct Line {
  std::string_view text;
  size_t begin = 0;
  size_t end = 0;
};

std::vector<Line> SplitLines(std::string_view content) {
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < content.size()) {
    size_t nl = content.find('\n', pos);
    if (nl == std::string_view::npos) {
      lines.push_back({content.substr(pos), pos, content.size()});
      break;
    }
    lines.push_back({content.substr(pos, nl - pos), pos, nl + 1});
    pos = nl + 1;
  }
  return lines;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits a command line into whitespace-separated tokens, keeping
// parenthesized groups and double-quoted strings together.
base::Result<std::vector<std::string>> Tokenize(std::string_view line,
                                                const std::string& pos) {
  std::vector<std::string> tokens;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  for (char c : line) {
    if (quoted) {
      if (c == '"') quoted = false;
      cur.push_back(c);
      continue;
    }
    if (c == '"') {
      quoted = true;
      cur.push_back(c);
    } else if (c == '(') {
      ++depth;
      cur.push_back(c);
    } else if (c == ')') {
      --depth;
      cur.push_back(c);
    } else if ((c == ' ' || c == '\t') && depth == 0) {
      if (!cur.empty()) tokens.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (quoted || depth != 0) {
    return base::Status::InvalidArgument(pos + ": unbalanced quote or paren");
  }
  if (!cur.empty()) tokens.push_back(std::move(cur));
  return tokens;
}

std::string Unquote(std::string_view v) {
  v = Trim(v);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
    v = v.substr(1, v.size() - 2);
  }
  return std::string(v);
}

CmdArg ParseArg(std::string_view token) {
  CmdArg arg;
  size_t eq = token.find('=');
  if (eq == std::string_view::npos) {
    arg.key = std::string(token);
    return arg;
  }
  arg.key = std::string(token.substr(0, eq));
  std::string_view val = token.substr(eq + 1);
  if (val.size() >= 2 && val.front() == '(' && val.back() == ')') {
    val = val.substr(1, val.size() - 2);
    while (!Trim(val).empty()) {
      size_t comma = val.find(',');
      arg.vals.push_back(Unquote(val.substr(0, comma)));
      if (comma == std::string_view::npos) break;
      val.remove_prefix(comma + 1);
    }
  } else {
    arg.vals.push_back(Unquote(val));
  }
  return arg;
}

}  // namespace

std::string CmdArg::ToString() const {
  if (vals.empty()) return key;
  if (vals.size() == 1) return key + "=" + vals[0];
  std::string s = key + "=(";
  for (size_t i = 0; i < vals.size(); ++i) {
    if (i > 0) s += ",";
    s += vals[i];
  }
  return s + ")";
}

bool TestData::HasArg(std::string_view key) const {
  return Arg(key) != nullptr;
}

const CmdArg* TestData::Arg(std::string_view key) const {
  for (const CmdArg& a : cmd_args) {
    if (a.key == key) return &a;
  }
  return nullptr;
}

base::Result<std::string> TestData::ScanString(std::string_view key,
                                               size_t idx) const {
  const CmdArg* a = Arg(key);
  if (a == nullptr) {
    return base::Status::NotFound(pos + ": missing argument " +
                                  std::string(key));
  }
  if (idx >= a->vals.size()) {
    return base::Status::InvalidArgument(pos + ": argument " +
                                         std::string(key) + " has no value " +
                                         std::to_string(idx));
  }
  return a->vals[idx];
}

base::Result<uint64_t> TestData::ScanUint(std::string_view key,
                                          size_t idx) const {
  CAIRN_ASSIGN_OR_RETURN(std::string s, ScanString(key, idx));
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || end != s.c_str() + s.size()) {
    return base::Status::InvalidArgument(
        pos + ": argument " + std::string(key) + " is not a number: " + s);
  }
  return static_cast<uint64_t>(v);
}

base::Result<bool> TestData::ScanBool(std::string_view key, size_t idx) const {
  CAIRN_ASSIGN_OR_RETURN(std::string s, ScanString(key, idx));
  if (s == "true") return true;
  if (s == "false") return false;
  return base::Status::InvalidArgument(pos + ": argument " + std::string(key) +
                                       " is not a bool: " + s);
}

base::Result<std::vector<TestData>> ParseFile(std::string_view name,
                                              std::string_view content) {
  std::vector<Line> lines = SplitLines(content);
  std::vector<TestData> out;
  size_t i = 0;
  while (i < lines.size()) {
    std::string_view text = Trim(lines[i].text);
    if (text.empty() || text.front() == '#') {
      ++i;
      continue;
    }
    TestData d;
    d.pos = std::string(name) + ":" + std::to_string(i + 1);
    // The command line, with backslash continuations.
    std::string cmdline;
    while (true) {
      std::string_view t = Trim(lines[i].text);
      ++i;
      if (!t.empty() && t.back() == '\\') {
        cmdline += std::string(t.substr(0, t.size() - 1)) + " ";
        if (i >= lines.size()) break;
        continue;
      }
      cmdline += std::string(t);
      break;
    }
    CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> tokens,
                           Tokenize(cmdline, d.pos));
    if (tokens.empty()) {
      return base::Status::InvalidArgument(d.pos + ": empty command");
    }
    d.cmd = tokens[0];
    for (size_t t = 1; t < tokens.size(); ++t) {
      d.cmd_args.push_back(ParseArg(tokens[t]));
    }
    // Input lines up to the separator.
    while (i < lines.size() && lines[i].text != kSeparator) {
      d.input += std::string(lines[i].text) + "\n";
      ++i;
    }
    if (i >= lines.size()) {
      return base::Status::InvalidArgument(d.pos + ": directive \"" + d.cmd +
                                           "\" has no ---- separator");
    }
    ++i;  // Past the separator.
    d.output_begin = i < lines.size() ? lines[i].begin : content.size();
    d.output_end = d.output_begin;
    if (i < lines.size() && lines[i].text == kSeparator) {
      // Fenced block: ends at a doubled separator.
      ++i;
      bool closed = false;
      while (i < lines.size()) {
        if (lines[i].text == kSeparator && i + 1 < lines.size() &&
            lines[i + 1].text == kSeparator) {
          d.output_end = lines[i + 1].end;
          i += 2;
          closed = true;
          break;
        }
        d.expected += std::string(lines[i].text) + "\n";
        ++i;
      }
      if (!closed) {
        return base::Status::InvalidArgument(
            d.pos + ": fenced output not closed by ----/----");
      }
    } else {
      while (i < lines.size() && !Trim(lines[i].text).empty()) {
        d.expected += std::string(lines[i].text) + "\n";
        d.output_end = lines[i].end;
        ++i;
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

std::string NormalizeOutput(std::string_view output) {
  std::string s(output);
  while (!s.empty() && s.back() == '\n') s.pop_back();
  if (!s.empty()) s.push_back('\n');
  return s;
}

std::string FormatOutputBlock(std::string_view output) {
  std::string s = NormalizeOutput(output);
  bool has_blank_line =
      s.find("\n\n") != std::string::npos || (!s.empty() && s.front() == '\n');
  if (!has_blank_line) return s;
  return std::string(kSeparator) + "\n" + s + std::string(kSeparator) + "\n" +
         std::string(kSeparator) + "\n";
}

std::string Rewrite(std::string_view content,
                    const std::vector<TestData>& directives,
                    const std::vector<std::string>& outputs) {
  std::string out;
  size_t pos = 0;
  for (size_t i = 0; i < directives.size() && i < outputs.size(); ++i) {
    const TestData& d = directives[i];
    out.append(content.substr(pos, d.output_begin - pos));
    // A directive at the very end of a file without a trailing newline.
    if (!out.empty() && out.back() != '\n') out.push_back('\n');
    out += FormatOutputBlock(outputs[i]);
    pos = d.output_end;
  }
  out.append(content.substr(pos));
  return out;
}

namespace {
bool g_rewrite_flag = false;
}  // namespace

bool RewriteRequested() {
  if (g_rewrite_flag) return true;
  const char* env = std::getenv("CAIRN_REWRITE");
  return env != nullptr && std::string_view(env) == "1";
}

void SetRewriteFromArgs(int* argc, char** argv) {
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::string_view(argv[i]) == "--rewrite") {
      g_rewrite_flag = true;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
}

}  // namespace datadriven

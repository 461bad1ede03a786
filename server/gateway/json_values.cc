#include "server/gateway/json_values.h"

namespace server::gateway {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool IsDelimiter(char c) {
  return IsSpace(c) || c == '{' || c == '}' || c == '[' || c == ']' ||
         c == ',' || c == ':' || c == '"';
}

}  // namespace

base::Result<std::optional<std::string_view>> JsonValueReader::Next() {
  while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  if (pos_ == text_.size()) return std::optional<std::string_view>();
  const size_t start = pos_;
  const char first = text_[pos_];
  if (first != '{' && first != '[' && first != '"') {
    // A bare literal (number, true, null) or garbage: up to a delimiter.
    // At least one byte, so the reader always advances.
    ++pos_;
    while (pos_ < text_.size() && !IsDelimiter(text_[pos_])) ++pos_;
    return std::optional<std::string_view>(text_.substr(start, pos_ - start));
  }
  int depth = 0;
  bool in_string = false;
  for (; pos_ < text_.size(); ++pos_) {
    char c = text_[pos_];
    if (in_string) {
      if (c == '\\') {
        ++pos_;  // Skip the escaped byte.
      } else if (c == '"') {
        in_string = false;
        if (depth == 0) break;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) break;
    }
  }
  if (pos_ >= text_.size()) {
    return base::Status::InvalidArgument("unexpected EOF");
  }
  ++pos_;  // Past the closing byte.
  return std::optional<std::string_view>(text_.substr(start, pos_ - start));
}

}  // namespace server::gateway

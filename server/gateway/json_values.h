#pragma once

// JsonValueReader: finds where each JSON value of a request body ends, so
// that the body can be read as grpc-gateway's decoder reads it: one value
// for a unary call (anything after it is ignored, as Go's json.Decoder
// does), one value after another for a streaming call (a Watch body may
// hold several create requests).
//
// It only delimits: strings, nesting and escapes are tracked, nothing is
// interpreted. The values themselves are parsed by protobuf's JSON parser,
// which reports malformed content.

#include <optional>
#include <string_view>

#include "base/result.h"

namespace server::gateway {

class JsonValueReader {
 public:
  explicit JsonValueReader(std::string_view text) : text_(text) {}

  // The text of the next value, nullopt when only whitespace is left, or
  // INVALID_ARGUMENT "unexpected EOF" for a value cut short (an unclosed
  // object, array or string).
  base::Result<std::optional<std::string_view>> Next();

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace server::gateway

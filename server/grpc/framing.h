#pragma once

// gRPC's wire pieces that are pure functions of bytes: the 5-byte message
// prefix (both directions), grpc-timeout values and percent-encoded
// grpc-message text. See ../../../shared/etcd-v3-api.md sections 1.3-1.5.
//
// A message on the wire:
//
//   +------+-------------------+--------------------+
//   | flag | length (4 bytes,  | message (length    |
//   | 0/1  | big-endian u32)   | bytes, protobuf)   |
//   +------+-------------------+--------------------+
//
// DATA frame boundaries are unrelated to message boundaries, so the reader
// reassembles by length.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace server::grpc {

// The default request size limit: etcd's --max-request-bytes (1.5 MiB) plus
// 512 KiB of gRPC overhead.
inline constexpr size_t kDefaultMaxRecvMessageBytes = 2 * 1024 * 1024;

// Prefixes `message` with flag 0 and its length.
// REQUIRES: message.size() < 2^32.
std::string EncodeMessage(std::string_view message);

// Reassembles request messages from DATA payloads.
class MessageReader {
 public:
  // `encoding` is the request's grpc-encoding header ("" when absent).
  MessageReader(size_t max_message_bytes, std::string encoding);

  // Consumes `data`, appending each completed message to `out`. Returns an
  // error, after which the reader must not be used again:
  //   RESOURCE_EXHAUSTED "grpc: received message larger than max (N vs. M)"
  //     as soon as a prefix announces more than the limit;
  //   UNIMPLEMENTED "grpc: Decompressor is not installed for grpc-encoding
  //     \"gzip\"" for a compressed message (we have no decompressor);
  //   INTERNAL for a compressed flag without an encoding, or a flag > 1.
  base::Status Push(std::string_view data, std::vector<std::string>* out);

  // True when part of a message (or of a prefix) is buffered: END_STREAM
  // now would truncate it.
  bool partial() const { return !buf_.empty(); }

 private:
  size_t max_;
  std::string encoding_;
  std::string buf_;  // Bytes of the message being assembled, prefix first.
};

// Parses a grpc-timeout value (1-8 digits and a unit H, M, S, m, u, n) into
// milliseconds, rounded up so a deadline never fires early; at least 1 ms for
// a non-zero timeout. nullopt when malformed.
std::optional<uint64_t> ParseGrpcTimeoutMs(std::string_view value);

// INTERNAL "grpc: error unmarshalling request: <detail>": grpc-go's answer
// to a request message that does not parse as the method's type.
base::Status UnmarshalError(std::string_view detail);

// grpc-message encoding: bytes outside 0x20-0x7E and '%' become %XX
// (uppercase hex).
std::string PercentEncode(std::string_view text);
// The inverse; malformed escapes are kept as they are (as gRPC does).
std::string PercentDecode(std::string_view text);

}  // namespace server::grpc

#pragma once

// Hand-written protobuf codec for the raftpb types (proto/raftpb/raft.proto
// is the schema). The bytes are exactly what protoc-generated proto3 code
// produces: fields in field-number order, zero scalars and empty bytes
// omitted, repeated integers packed. The decoder follows protobuf's parsing
// rules: unknown fields are skipped, a repeated integer field may be packed
// or not, the last occurrence of a scalar field wins, a repeated embedded
// message field is appended to.
//
// Decoders take untrusted bytes (peer frames, fuzzers): they never crash,
// never read out of bounds and never allocate more than a small multiple of
// the input size. Garbage, truncated input, bad wire types, enum values
// out of range and nesting deeper than kMaxDecodeDepth give a
// base::Status DataLoss naming the message and field.
//
// Encode* functions APPEND to *out, so a caller can reuse one buffer or
// prepend its own framing.
//
// Thread safety: pure functions.

#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "proto/raftpb/raftpb.h"

namespace raftpb {

// Message.responses nests Messages; deeper nesting is rejected.
inline constexpr int kMaxDecodeDepth = 8;

void EncodeEntry(const Entry& e, std::string* out);
void EncodeHardState(const HardState& hs, std::string* out);
void EncodeConfState(const ConfState& cs, std::string* out);
void EncodeSnapshotMetadata(const SnapshotMetadata& md, std::string* out);
void EncodeSnapshot(const Snapshot& snap, std::string* out);
void EncodeMessage(const Message& m, std::string* out);
void EncodeConfChange(const ConfChange& cc, std::string* out);
void EncodeConfChangeV2(const ConfChangeV2& cc, std::string* out);

// Exact encoded sizes (what Encode* appends).
size_t EncodedSize(const HardState& hs);
size_t EncodedSize(const ConfState& cs);
size_t EncodedSize(const SnapshotMetadata& md);
size_t EncodedSize(const Snapshot& snap);
size_t EncodedSize(const Message& m);

base::Result<Entry> DecodeEntry(std::string_view bytes);
base::Result<HardState> DecodeHardState(std::string_view bytes);
base::Result<ConfState> DecodeConfState(std::string_view bytes);
base::Result<SnapshotMetadata> DecodeSnapshotMetadata(std::string_view bytes);
base::Result<Snapshot> DecodeSnapshot(std::string_view bytes);
base::Result<Message> DecodeMessage(std::string_view bytes);
base::Result<ConfChange> DecodeConfChange(std::string_view bytes);
base::Result<ConfChangeV2> DecodeConfChangeV2(std::string_view bytes);

// Convenience: the encoding as a new string.
std::string EncodeToString(const Entry& e);
std::string EncodeToString(const HardState& hs);
std::string EncodeToString(const ConfState& cs);
std::string EncodeToString(const Snapshot& snap);
std::string EncodeToString(const Message& m);
std::string EncodeToString(const ConfChange& cc);
std::string EncodeToString(const ConfChangeV2& cc);

}  // namespace raftpb

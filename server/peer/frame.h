#pragma once

// The peer protocol's bytes (docs/peer-protocol.md): the connection preface,
// length-prefixed frames, the handshake and the verdict. Pure functions and
// one incremental reader; no I/O.
//
//   connection = preface "CAIRNPR1" (8 bytes, dialer only)
//                handshake frame ─> <─ verdict frame
//                then, per stream kind, message frames, a snapshot, or
//                request and answer frames
//   frame      = length u32 (little-endian, of the body) | body
//
// Thread safety: pure functions; a FrameReader belongs to one connection.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace server::peer {

inline constexpr std::string_view kPreface = "CAIRNPR1";
inline constexpr size_t kFrameHeaderBytes = 4;

// What the dialer will send after the handshake.
enum class StreamKind : uint8_t {
  kMessages = 1,  // Frames holding one raftpb::Message each.
  kSnapshot = 2,  // One MsgSnap frame, then the snapshot file.
  kRequests = 3,  // Request frames, answered by frames (request_client.h).
  // A member joining the cluster asks for its member list (etcd's GET
  // /members on the peer port): the acceptor answers the verdict, then one
  // frame holding a cairnpb.Membership, and closes. The dialer sends
  // cluster ID, sender and target 0.
  kMembers = 4,
};

struct Handshake {
  StreamKind kind = StreamKind::kMessages;
  uint64_t cluster_id = 0;
  uint64_t from = 0;  // The dialer's member ID.
  uint64_t to = 0;    // The member the dialer means to reach.
  std::string name;   // The dialer's --name.
  std::vector<std::string> client_urls;  // The dialer's advertised ones.
};

// The acceptor's answer to a handshake.
enum class VerdictCode : uint8_t {
  kAccepted = 0,
  kClusterMismatch = 1,  // The dialer belongs to another cluster.
  kWrongMember = 2,      // `to` is not the acceptor's member ID.
  kRemoved = 3,          // The dialer was removed from the cluster.
  kBadRequest = 4,       // Unparsable handshake or snapshot.
};

struct Verdict {
  VerdictCode code = VerdictCode::kAccepted;
  uint64_t cluster_id = 0;  // The acceptor's.
  uint64_t member_id = 0;   // The acceptor's.
  std::string message;      // Human-readable reason; empty when accepted.
};

// Appends length prefix + body to *out.
void AppendFrame(std::string_view body, std::string* out);

std::string EncodeHandshake(const Handshake& h);
// DATA_LOSS naming the field when `body` is not a handshake.
base::Result<Handshake> DecodeHandshake(std::string_view body);
std::string EncodeVerdict(const Verdict& v);
base::Result<Verdict> DecodeVerdict(std::string_view body);

// Cuts a byte stream into frames. Feed() bytes as they arrive, then call
// Next() until it returns false.
class FrameReader {
 public:
  explicit FrameReader(uint32_t max_frame_bytes)
      : max_frame_bytes_(max_frame_bytes) {}

  void Feed(std::string_view data) { buf_.append(data); }
  // Moves the next complete frame's body into *body and returns true; false
  // when more bytes are needed or after an error (see status()).
  bool Next(std::string* body);
  // Set once a length prefix exceeds the limit; the stream is unusable.
  const base::Status& status() const { return status_; }
  // Removes and returns up to `n` unframed bytes already buffered (used to
  // switch from frames to raw snapshot bytes).
  std::string TakeRaw(size_t n);
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  uint32_t max_frame_bytes_;
  std::string buf_;
  size_t pos_ = 0;
  base::Status status_;
};

}  // namespace server::peer

#pragma once

// InboundConn: one connection accepted on the peer port (internal to
// server/peer).
//
//   kPreface ──"CAIRNPR1"──> kHandshake ──accepted──> kMessages (frames ->
//      │ other bytes              │ refused            on_message)
//      v                          v                 or kSnapshot (receiver)
//   closed (garbage)         verdict, then closed   or kRequests (frames ->
//                                                      on_request, answers
//                                                      written back)
//
// Each message frame must decode, come from the member that shook hands
// and be addressed to this member; anything else closes this connection
// (and only it). A snapshot stream is handed to a SnapshotReceiver.
//
// Thread safety: loop thread only.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "server/net/byte_stream.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"
#include "server/peer/context.h"
#include "server/peer/frame.h"
#include "server/peer/snapshot_receiver.h"

namespace server::peer::internal {

class InboundConn final : public net::ByteStream::Delegate {
 public:
  struct Hooks {
    // Judges a handshake (cluster, target, removed members).
    std::function<Verdict(InboundConn*, const Handshake&)> judge;
    // Runs once from OnClosed; the owner may destroy the InboundConn there.
    std::function<void(InboundConn*)> on_closed;
  };

  InboundConn(Context* ctx, std::unique_ptr<net::TcpStream> stream,
              Hooks hooks);
  ~InboundConn() override;
  InboundConn(const InboundConn&) = delete;
  InboundConn& operator=(const InboundConn&) = delete;

  // Starts reading (and the handshake deadline).
  void Start();
  // Closes the connection; on_closed follows from a fresh callback.
  void Close(const std::string& why);

  // Valid once the handshake was accepted (from() is 0 before).
  uint64_t from() const { return accepted_ ? handshake_.from : 0; }
  StreamKind kind() const { return handshake_.kind; }
  const std::string& peer_address() const { return stream_->peer_address(); }

 private:
  enum class State {
    kPreface,
    kHandshake,
    kMessages,
    kSnapshot,
    kRequests,
    kDone
  };

  void OnRead(std::string_view data) override;
  void OnEof() override;
  void OnClosed(const base::Status& reason) override;
  void OnHandshake(const std::string& body);
  void OnMessageFrame(const std::string& body);
  void OnRequestFrame(const std::string& body);
  static void OnTimer(uv_timer_t* t);

  Context* const ctx_;
  std::unique_ptr<net::TcpStream> stream_;
  Hooks hooks_;
  State state_ = State::kPreface;
  std::string preface_;
  FrameReader reader_;
  Handshake handshake_;
  bool accepted_ = false;
  std::unique_ptr<SnapshotReceiver> receiver_;
  net::UvHandle<uv_timer_t> timer_;  // Handshake deadline.
  // Replies to requests run only while this connection lives.
  AliveToken alive_ = std::make_shared<int>(0);
};

}  // namespace server::peer::internal

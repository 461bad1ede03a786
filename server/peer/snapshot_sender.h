#pragma once

// SnapshotSender: streams one snapshot file to a peer on a connection of
// its own (internal to server/peer; the receiving end and the bytes are in
// snapshot_receiver.h).
//
//   open the file (I/O thread) ─> dial ─> handshake ─> verdict ─>
//   MsgSnap frame + size frame ─> chunks: read (I/O thread), write,
//   wait until the socket drains below a MiB ─> receiver's verdict ─> done
//
// At most one chunk is read ahead, so memory stays bounded whatever the
// snapshot's size. A transfer that makes no progress for
// snapshot_idle_timeout_ms fails.
//
// Thread safety: loop thread only (file reads run on Context::io).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "proto/raftpb/raftpb.h"
#include "server/config/url.h"
#include "server/net/byte_stream.h"
#include "server/net/dial.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"
#include "server/peer/context.h"
#include "server/peer/frame.h"

namespace server::peer::internal {

class SnapshotSender final : public net::ByteStream::Delegate {
 public:
  // `done(ok, why)` runs once, from a fresh loop callback; the owner may
  // destroy the sender there. Destroying it earlier aborts the transfer
  // without calling `done`.
  using DoneFn = std::function<void(bool ok, const std::string& why)>;
  SnapshotSender(Context* ctx, uint64_t to, Url url, raftpb::Message msg,
                 DoneFn done);
  ~SnapshotSender() override;
  SnapshotSender(const SnapshotSender&) = delete;
  SnapshotSender& operator=(const SnapshotSender&) = delete;

  void Start();

 private:
  struct File;
  enum class State {
    kOpening,
    kDialing,
    kHandshaking,
    kSending,
    kAwaiting,
    kDone
  };

  void OnOpened(const base::Status& s);
  void OnDialed(base::Result<std::unique_ptr<net::TcpStream>> r);
  void ReadNext();
  void OnChunk(const base::Status& s, std::string data);
  void Fail(const std::string& why);
  void Succeed();
  void Touch();
  static void OnTimer(uv_timer_t* t);

  void OnRead(std::string_view data) override;
  void OnEof() override;
  void OnWriteDrained() override;
  void OnClosed(const base::Status& reason) override;

  Context* const ctx_;
  const uint64_t to_;
  const Url url_;
  raftpb::Message msg_;
  DoneFn done_;
  AliveToken alive_ = std::make_shared<int>(0);
  State state_ = State::kOpening;
  std::shared_ptr<File> file_;
  uint64_t sent_ = 0;
  bool read_in_flight_ = false;
  std::unique_ptr<net::Dialer> dialer_;
  std::unique_ptr<net::TcpStream> stream_;
  FrameReader reader_;
  net::UvHandle<uv_timer_t> timer_;  // Idle deadline.
  bool verdict_seen_ = false;
};

}  // namespace server::peer::internal

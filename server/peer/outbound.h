#pragma once

// OutboundStream: the connection this member dials to one peer and sends
// its raft messages on (internal to server/peer).
//
//   kBackoff ──timer──> kDialing ──connected──> kHandshaking ──accepted──>
//      ^                   │ failed                 │ refused / kConnected
//      └───────────────────┴────────────────────────┴ timeout / closed <──────┘
//
// Messages are written only in kConnected; otherwise the caller drops them.
// The backoff doubles from min_backoff_ms to max_backoff_ms after each
// failure and resets once a handshake is accepted. Failures are logged at
// WARN when they change (a new error text), DEBUG when they repeat.
//
// Thread safety: loop thread only.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/config/url.h"
#include "server/net/byte_stream.h"
#include "server/net/dial.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"
#include "server/peer/context.h"
#include "server/peer/frame.h"

namespace server::peer::internal {

class OutboundStream final : public net::ByteStream::Delegate {
 public:
  // Starts dialing at once. REQUIRES: urls non-empty.
  OutboundStream(Context* ctx, uint64_t id, std::vector<Url> urls);
  ~OutboundStream() override;
  OutboundStream(const OutboundStream&) = delete;
  OutboundStream& operator=(const OutboundStream&) = delete;

  // Replaces the URLs and redials.
  void SetUrls(std::vector<Url> urls);
  // Writes `frames` (already framed, holding messages) if connected and the
  // socket's queue has room; false otherwise (the caller drops them).
  bool Write(std::string frames);
  bool connected() const { return state_ == State::kConnected; }
  // uv_now() when the current connection was accepted; 0 if not connected.
  uint64_t active_since() const { return active_since_; }
  const std::vector<Url>& urls() const { return urls_; }
  // The URL to use for a side connection (snapshots): the last one that
  // worked, else the first.
  const Url& current_url() const { return urls_[url_index_]; }

 private:
  enum class State { kBackoff, kDialing, kHandshaking, kConnected };

  void Dial();
  void OnDialed(base::Result<std::unique_ptr<net::TcpStream>> r);
  void Fail(const std::string& why, bool refused);
  void ScheduleRetry();
  static void OnTimer(uv_timer_t* t);

  void OnRead(std::string_view data) override;
  void OnEof() override;
  void OnClosed(const base::Status& reason) override;

  Context* const ctx_;
  const uint64_t id_;
  std::vector<Url> urls_;
  size_t url_index_ = 0;
  State state_ = State::kBackoff;
  std::unique_ptr<net::Dialer> dialer_;
  std::unique_ptr<net::TcpStream> stream_;
  // Backoff delay, or the handshake deadline while kHandshaking.
  net::UvHandle<uv_timer_t> timer_;
  uint64_t backoff_ms_ = 0;
  uint64_t active_since_ = 0;
  FrameReader reader_;
  // The failure already reported since the last success (log throttle), and
  // the reason a stream we closed ourselves was closed.
  std::string last_error_;
  std::string closing_reason_;
  bool closing_refused_ = false;
};

}  // namespace server::peer::internal

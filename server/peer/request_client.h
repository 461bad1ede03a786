#pragma once

// RequestClient: the connection this member dials to one peer to send it
// requests and read the answers (stream kind 3, docs/peer-protocol.md
// "Request streams"; internal to server/peer). The lease service forwards
// keep-alives and time-to-live queries to the leader on it, as etcd does
// over its peer port's /leases.
//
//   kIdle ──Call──> kDialing ──> kHandshaking ──accepted──> kReady
//     ^                 │ failed        │ refused / closed     │ closed /
//     └─────────────────┴───────────────┴──── kClosing <───────┘ timeout
//
// A call made while the stream is not ready waits for it (the dial starts
// on the first call). Request frame: seq (u64 LE) | body; answer frame:
// seq | body, in any order. When the connection fails, or a call waits
// longer than request_timeout_ms for its answer, every call in flight fails
// with UNAVAILABLE (the caller retries; the next call redials).
//
// Thread safety: loop thread only. `done` always runs from a fresh loop
// callback, never inside Call.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/result.h"
#include "server/config/url.h"
#include "server/net/byte_stream.h"
#include "server/net/dial.h"
#include "server/net/handle.h"
#include "server/net/tcp.h"
#include "server/peer/context.h"
#include "server/peer/frame.h"

namespace server::peer::internal {

class RequestClient final : public net::ByteStream::Delegate {
 public:
  using DoneFn = std::function<void(base::Result<std::string>)>;

  RequestClient(Context* ctx, uint64_t to);
  // Calls in flight are dropped without their `done`.
  ~RequestClient() override;
  RequestClient(const RequestClient&) = delete;
  RequestClient& operator=(const RequestClient&) = delete;

  // Sends `body`; `url` is where to dial if there is no connection yet.
  void Call(const Url& url, std::string body, DoneFn done);

 private:
  enum class State { kIdle, kDialing, kHandshaking, kReady, kClosing };
  struct Pending {
    DoneFn done;
    std::string body;  // Cleared once written.
    uint64_t started_ms = 0;
  };

  void Dial(const Url& url);
  void OnDialed(base::Result<std::unique_ptr<net::TcpStream>> r);
  void WriteUnsent();
  void FailAll(const std::string& why);
  void CloseStream(const std::string& why);
  void ArmTimer();
  static void OnTimer(uv_timer_t* t);

  void OnRead(std::string_view data) override;
  void OnEof() override;
  void OnClosed(const base::Status& reason) override;

  Context* const ctx_;
  const uint64_t to_;
  State state_ = State::kIdle;
  std::unique_ptr<net::Dialer> dialer_;
  std::unique_ptr<net::TcpStream> stream_;
  FrameReader reader_;
  net::UvHandle<uv_timer_t> timer_;  // The oldest call's deadline.
  uint64_t next_seq_ = 1;
  std::map<uint64_t, Pending> pending_;  // By seq: oldest first.
  std::string closing_reason_;
};

}  // namespace server::peer::internal

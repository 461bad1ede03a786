#include "server/peer/request_client.h"

#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "server/config/ids.h"
#include "server/metrics/server_metrics.h"
#include "server/wal/coding.h"

namespace server::peer::internal {

RequestClient::RequestClient(Context* ctx, uint64_t to)
    : ctx_(ctx), to_(to), reader_(ctx->options->max_frame_bytes) {
  CAIRN_CHECK(uv_timer_init(ctx_->loop, timer_.get()) == 0);
  timer_.MarkInitialized();
  timer_->data = this;
}

RequestClient::~RequestClient() = default;

void RequestClient::Call(const Url& url, std::string body, DoneFn done) {
  const uint64_t seq = next_seq_++;
  std::string frame;
  wal::PutFixed(seq, 8, &frame);
  frame += body;
  pending_[seq] =
      Pending{std::move(done), std::move(frame), uv_now(ctx_->loop)};
  if (pending_.size() == 1) ArmTimer();
  if (state_ == State::kIdle) return Dial(url);
  if (state_ == State::kReady) WriteUnsent();
}

void RequestClient::Dial(const Url& url) {
  state_ = State::kDialing;
  std::string host = DialHost(url);
  if (host.empty()) {
    state_ = State::kIdle;
    return FailAll("cannot dial " + url.ToString());
  }
  auto d = net::Dialer::Start(
      ctx_->loop, host, url.port, ctx_->options->dial_timeout_ms,
      [this](base::Result<std::unique_ptr<net::TcpStream>> r) {
        OnDialed(std::move(r));
      });
  if (!d.ok()) {
    state_ = State::kIdle;
    return FailAll(d.status().ToString());
  }
  dialer_ = std::move(d).value();
}

void RequestClient::OnDialed(base::Result<std::unique_ptr<net::TcpStream>> r) {
  std::unique_ptr<net::Dialer> dialer = std::move(dialer_);
  if (!r.ok()) {
    state_ = State::kIdle;
    return FailAll(r.status().ToString());
  }
  stream_ = std::move(r).value();
  state_ = State::kHandshaking;
  reader_ = FrameReader(ctx_->options->max_frame_bytes);
  stream_->Start(this);
  std::string out(kPreface);
  AppendFrame(EncodeHandshake(ctx_->MakeHandshake(StreamKind::kRequests, to_)),
              &out);
  stream_->Write(std::move(out));
}

void RequestClient::WriteUnsent() {
  std::string out;
  for (auto& [seq, p] : pending_) {
    if (p.body.empty()) continue;
    AppendFrame(p.body, &out);
    p.body.clear();
  }
  if (out.empty()) return;
  metrics::Server().peer_sent_bytes->Inc(out.size());
  stream_->Write(std::move(out));
}

void RequestClient::OnRead(std::string_view data) {
  metrics::Server().peer_received_bytes->Inc(data.size());
  reader_.Feed(data);
  std::string body;
  while (state_ == State::kHandshaking || state_ == State::kReady) {
    if (!reader_.Next(&body)) break;
    if (state_ == State::kHandshaking) {
      auto v = DecodeVerdict(body);
      if (!v.ok()) return CloseStream(v.status().ToString());
      if (v->code != VerdictCode::kAccepted) {
        return CloseStream("refused by the peer: " + v->message);
      }
      state_ = State::kReady;
      WriteUnsent();
      continue;
    }
    if (body.size() < 8) return CloseStream("short answer frame");
    auto it = pending_.find(wal::GetFixed(body.data(), 8));
    if (it == pending_.end()) continue;  // Timed out meanwhile.
    DoneFn done = std::move(it->second.done);
    pending_.erase(it);
    ctx_->defer([done, answer = body.substr(8)] { done(answer); });
  }
  if (!reader_.status().ok()) CloseStream(reader_.status().ToString());
}

void RequestClient::OnEof() { CloseStream("closed by the peer"); }

void RequestClient::OnClosed(const base::Status& reason) {
  std::string why = closing_reason_;
  if (why.empty()) why = reason.ok() ? "connection closed" : reason.ToString();
  closing_reason_.clear();
  state_ = State::kIdle;
  FailAll(why);
  stream_.reset();  // Allowed from OnClosed; nothing runs after it.
}

void RequestClient::CloseStream(const std::string& why) {
  if (state_ == State::kClosing || !stream_) return;
  state_ = State::kClosing;
  closing_reason_ = why;
  stream_->Close();  // OnClosed fails the calls.
}

void RequestClient::FailAll(const std::string& why) {
  if (pending_.empty()) return;
  CAIRN_LOG(kDebug, "peer", "%s: requests to %s failed: %s",
            FormatId(ctx_->options->member_id).c_str(), FormatId(to_).c_str(),
            why.c_str());
  base::Status s = base::Status::Unavailable("peer " + FormatId(to_) +
                                             " did not answer: " + why);
  for (auto& [seq, p] : pending_) {
    ctx_->defer([done = std::move(p.done), s] { done(s); });
  }
  pending_.clear();
  uv_timer_stop(timer_.get());
}

void RequestClient::ArmTimer() {
  if (pending_.empty()) return;
  const uint64_t now = uv_now(ctx_->loop);
  const uint64_t due =
      pending_.begin()->second.started_ms + ctx_->options->request_timeout_ms;
  uv_timer_start(timer_.get(), &RequestClient::OnTimer,
                 due > now ? due - now : 0, 0);
}

void RequestClient::OnTimer(uv_timer_t* t) {
  auto* self = static_cast<RequestClient*>(t->data);
  if (self == nullptr || self->pending_.empty()) return;
  const uint64_t oldest = self->pending_.begin()->second.started_ms;
  if (uv_now(self->ctx_->loop) <
      oldest + self->ctx_->options->request_timeout_ms) {
    return self->ArmTimer();
  }
  if (self->state_ == State::kDialing) {
    self->dialer_.reset();
    self->state_ = State::kIdle;
  }
  if (self->state_ == State::kIdle) return self->FailAll("no answer in time");
  self->CloseStream("no answer in time");
}

}  // namespace server::peer::internal

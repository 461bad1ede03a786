#include "server/peer/outbound.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "server/config/ids.h"
#include "server/metrics/server_metrics.h"

namespace server::peer::internal {

std::string DialHost(const Url& url) {
  if (url.host == "localhost") return "127.0.0.1";
  return IsIpLiteral(url.host) ? url.host : std::string();
}

OutboundStream::OutboundStream(Context* ctx, uint64_t id, std::vector<Url> urls)
    : ctx_(ctx),
      id_(id),
      urls_(std::move(urls)),
      backoff_ms_(ctx->options->min_backoff_ms),
      reader_(ctx->options->max_frame_bytes) {
  CAIRN_CHECK(!urls_.empty());
  CAIRN_CHECK(uv_timer_init(ctx_->loop, timer_.get()) == 0);
  timer_.MarkInitialized();
  timer_->data = this;
  Dial();
}

OutboundStream::~OutboundStream() = default;

void OutboundStream::SetUrls(std::vector<Url> urls) {
  CAIRN_CHECK(!urls.empty());
  urls_ = std::move(urls);
  url_index_ = 0;
  dialer_.reset();
  if (stream_) {
    // Redial from OnClosed.
    closing_reason_ = "peer URLs updated";
    stream_->Close();
    return;
  }
  active_since_ = 0;
  backoff_ms_ = ctx_->options->min_backoff_ms;
  uv_timer_stop(timer_.get());
  Dial();
}

bool OutboundStream::Write(std::string frames) {
  if (state_ != State::kConnected || stream_->closing()) return false;
  if (stream_->queued_bytes() + frames.size() >
      ctx_->options->max_queued_bytes) {
    return false;
  }
  metrics::Server().peer_sent_bytes->Inc(frames.size());
  stream_->Write(std::move(frames));
  return true;
}

void OutboundStream::Dial() {
  state_ = State::kDialing;
  const Url& url = urls_[url_index_];
  std::string host = DialHost(url);
  if (host.empty()) {
    Fail("cannot dial " + url.ToString() + ": host is not an IP address",
         false);
    return;
  }
  auto d = net::Dialer::Start(
      ctx_->loop, host, url.port, ctx_->options->dial_timeout_ms,
      [this](base::Result<std::unique_ptr<net::TcpStream>> r) {
        OnDialed(std::move(r));
      });
  if (!d.ok()) {
    Fail(d.status().ToString(), false);
    return;
  }
  dialer_ = std::move(d).value();
}

void OutboundStream::OnDialed(base::Result<std::unique_ptr<net::TcpStream>> r) {
  // Keep the dialer alive until this callback returns.
  std::unique_ptr<net::Dialer> dialer = std::move(dialer_);
  if (!r.ok()) {
    Fail(r.status().ToString(), false);
    return;
  }
  stream_ = std::move(r).value();
  state_ = State::kHandshaking;
  reader_ = FrameReader(ctx_->options->max_frame_bytes);
  closing_reason_.clear();
  closing_refused_ = false;
  stream_->Start(this);
  std::string out(kPreface);
  AppendFrame(EncodeHandshake(ctx_->MakeHandshake(StreamKind::kMessages, id_)),
              &out);
  stream_->Write(std::move(out));
  uv_timer_start(timer_.get(), &OutboundStream::OnTimer,
                 ctx_->options->handshake_timeout_ms, 0);
}

void OutboundStream::OnRead(std::string_view data) {
  if (state_ != State::kHandshaking) {
    closing_reason_ = "unexpected bytes from the peer";
    stream_->Close();
    return;
  }
  reader_.Feed(data);
  std::string body;
  if (!reader_.Next(&body)) {
    if (!reader_.status().ok()) {
      closing_reason_ = reader_.status().ToString();
      stream_->Close();
    }
    return;
  }
  auto v = DecodeVerdict(body);
  if (!v.ok()) {
    closing_reason_ = v.status().ToString();
    stream_->Close();
    return;
  }
  if (v->code != VerdictCode::kAccepted) {
    closing_reason_ = "refused by the peer: " + v->message;
    closing_refused_ = true;
    if (v->code == VerdictCode::kRemoved) {
      uint64_t id = id_;
      auto* ctx = ctx_;
      ctx_->defer([ctx, id] {
        if (ctx->options->on_removed) ctx->options->on_removed(id);
      });
    }
    stream_->Close();
    return;
  }
  uv_timer_stop(timer_.get());
  state_ = State::kConnected;
  active_since_ = uv_now(ctx_->loop);
  backoff_ms_ = ctx_->options->min_backoff_ms;
  last_error_.clear();
  CAIRN_LOG(kInfo, "peer", "%s: connected to peer %s at %s",
            FormatId(ctx_->options->member_id).c_str(), FormatId(id_).c_str(),
            urls_[url_index_].ToString().c_str());
}

void OutboundStream::OnEof() {
  closing_reason_ = "closed by the peer";
  stream_->Close();
}

void OutboundStream::OnClosed(const base::Status& reason) {
  std::unique_ptr<net::TcpStream> gone = std::move(stream_);
  bool was_connected = state_ == State::kConnected;
  std::string why = closing_reason_;
  if (why.empty()) why = reason.ok() ? "closed" : reason.ToString();
  if (was_connected) {
    CAIRN_LOG(kWarn, "peer", "%s: lost the connection to peer %s: %s",
              FormatId(ctx_->options->member_id).c_str(), FormatId(id_).c_str(),
              why.c_str());
    last_error_ = why;
    active_since_ = 0;
    state_ = State::kBackoff;
    backoff_ms_ = ctx_->options->min_backoff_ms;
    ScheduleRetry();
    return;
  }
  Fail(why, closing_refused_);
}

void OutboundStream::Fail(const std::string& why, bool refused) {
  state_ = State::kBackoff;
  active_since_ = 0;
  if (why != last_error_) {
    if (refused) {
      CAIRN_LOG(kError, "peer", "%s: peer %s at %s %s",
                FormatId(ctx_->options->member_id).c_str(),
                FormatId(id_).c_str(), urls_[url_index_].ToString().c_str(),
                why.c_str());
    } else {
      CAIRN_LOG(kWarn, "peer", "%s: cannot reach peer %s at %s: %s",
                FormatId(ctx_->options->member_id).c_str(),
                FormatId(id_).c_str(), urls_[url_index_].ToString().c_str(),
                why.c_str());
    }
    last_error_ = why;
  }
  if (refused) backoff_ms_ = ctx_->options->max_backoff_ms;
  url_index_ = (url_index_ + 1) % urls_.size();
  ScheduleRetry();
}

void OutboundStream::ScheduleRetry() {
  uv_timer_start(timer_.get(), &OutboundStream::OnTimer, backoff_ms_, 0);
  backoff_ms_ = std::min(backoff_ms_ * 2, ctx_->options->max_backoff_ms);
}

void OutboundStream::OnTimer(uv_timer_t* t) {
  auto* self = static_cast<OutboundStream*>(t->data);
  if (self == nullptr) return;
  if (self->state_ == State::kHandshaking) {
    self->closing_reason_ = "handshake timed out";
    self->stream_->Close();
    return;
  }
  if (self->state_ == State::kBackoff) self->Dial();
}

}  // namespace server::peer::internal

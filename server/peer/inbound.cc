#include "server/peer/inbound.h"

#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "proto/raftpb/codec.h"
#include "server/config/ids.h"
#include "server/metrics/server_metrics.h"
#include "server/wal/coding.h"

namespace server::peer::internal {

InboundConn::InboundConn(Context* ctx, std::unique_ptr<net::TcpStream> stream,
                         Hooks hooks)
    : ctx_(ctx),
      stream_(std::move(stream)),
      hooks_(std::move(hooks)),
      reader_(ctx->options->max_frame_bytes) {
  CAIRN_CHECK(uv_timer_init(ctx_->loop, timer_.get()) == 0);
  timer_.MarkInitialized();
  timer_->data = this;
}

InboundConn::~InboundConn() = default;

void InboundConn::Start() {
  stream_->Start(this);
  uv_timer_start(timer_.get(), &InboundConn::OnTimer,
                 ctx_->options->handshake_timeout_ms, 0);
}

void InboundConn::Close(const std::string& why) {
  if (stream_->closing()) return;
  if (!why.empty()) {
    CAIRN_LOG(kWarn, "peer", "%s: closing peer connection from %s: %s",
              FormatId(ctx_->options->member_id).c_str(),
              stream_->peer_address().c_str(), why.c_str());
  }
  state_ = State::kDone;
  receiver_.reset();
  stream_->Close();
}

void InboundConn::OnTimer(uv_timer_t* t) {
  auto* self = static_cast<InboundConn*>(t->data);
  if (self != nullptr && !self->accepted_) self->Close("no handshake in time");
}

void InboundConn::OnRead(std::string_view data) {
  metrics::Server().peer_received_bytes->Inc(data.size());
  if (state_ == State::kPreface) {
    size_t n = std::min(kPreface.size() - preface_.size(), data.size());
    preface_.append(data.substr(0, n));
    data.remove_prefix(n);
    if (kPreface.substr(0, preface_.size()) != preface_) {
      return Close("not a cairn peer (bad preface)");
    }
    if (preface_.size() < kPreface.size()) return;
    state_ = State::kHandshake;
    if (data.empty()) return;
  }
  if (state_ == State::kSnapshot) {
    base::Status s = receiver_->Feed(&reader_, data);
    if (!s.ok()) Close(s.ToString());
    return;
  }
  if (state_ == State::kDone) return;
  reader_.Feed(data);
  std::string body;
  while (state_ == State::kHandshake || state_ == State::kMessages ||
         state_ == State::kRequests) {
    if (!reader_.Next(&body)) break;
    if (state_ == State::kHandshake) {
      OnHandshake(body);
      if (state_ == State::kSnapshot) {
        // Bytes after the handshake belong to the snapshot stream.
        std::string rest = reader_.TakeRaw(reader_.buffered());
        if (!rest.empty()) {
          base::Status s = receiver_->Feed(&reader_, rest);
          if (!s.ok()) Close(s.ToString());
        }
        return;
      }
    } else if (state_ == State::kRequests) {
      OnRequestFrame(body);
    } else {
      OnMessageFrame(body);
    }
  }
  if (!reader_.status().ok()) Close(reader_.status().ToString());
}

void InboundConn::OnHandshake(const std::string& body) {
  auto h = DecodeHandshake(body);
  if (!h.ok()) return Close(h.status().ToString());
  handshake_ = std::move(h).value();
  Verdict v = hooks_.judge(this, handshake_);
  stream_->Write([&] {
    std::string out;
    AppendFrame(EncodeVerdict(v), &out);
    return out;
  }());
  if (v.code != VerdictCode::kAccepted) {
    ctx_->stats->connections_refused++;
    CAIRN_LOG(kError, "peer",
              "%s: refused peer connection from %s (member %s of cluster %s, "
              "name \"%s\"): %s",
              FormatId(ctx_->options->member_id).c_str(),
              stream_->peer_address().c_str(),
              FormatId(handshake_.from).c_str(),
              FormatId(handshake_.cluster_id).c_str(), handshake_.name.c_str(),
              v.message.c_str());
    state_ = State::kDone;
    stream_->Shutdown();  // After the verdict is written.
    return;
  }
  accepted_ = true;
  uv_timer_stop(timer_.get());
  if (handshake_.kind == StreamKind::kMembers) {
    std::string out;
    AppendFrame(ctx_->options->members(), &out);
    stream_->Write(std::move(out));
    stream_->Shutdown();
    state_ = State::kDone;
    return;
  }
  if (handshake_.kind == StreamKind::kMessages) {
    state_ = State::kMessages;
    return;
  }
  if (handshake_.kind == StreamKind::kRequests) {
    state_ = State::kRequests;
    return;
  }
  state_ = State::kSnapshot;
  SnapshotReceiver::Hooks hooks;
  hooks.pause = [this](bool pause) {
    if (pause) {
      stream_->PauseReading();
    } else {
      stream_->ResumeReading();
    }
  };
  hooks.done = [this](const Verdict& verdict, raftpb::Message msg) {
    std::string out;
    AppendFrame(EncodeVerdict(verdict), &out);
    stream_->Write(std::move(out));
    stream_->Shutdown();
    state_ = State::kDone;
    if (verdict.code == VerdictCode::kAccepted) {
      ctx_->stats->messages_received++;
      ctx_->options->on_message(std::move(msg));
    }
  };
  receiver_ = std::make_unique<SnapshotReceiver>(ctx_, handshake_.from,
                                                 std::move(hooks));
}

void InboundConn::OnMessageFrame(const std::string& body) {
  auto m = raftpb::DecodeMessage(body);
  if (!m.ok()) return Close(m.status().ToString());
  if (m->from != handshake_.from || m->to != ctx_->options->member_id) {
    return Close("message from " + FormatId(m->from) + " to " +
                 FormatId(m->to) + " on the stream of " +
                 FormatId(handshake_.from));
  }
  if (m->type == raftpb::kMsgSnap) {
    return Close("MsgSnap outside a snapshot stream");
  }
  ctx_->stats->messages_received++;
  ctx_->options->on_message(std::move(m).value());
}

void InboundConn::OnRequestFrame(const std::string& body) {
  if (body.size() < 8) return Close("short request frame");
  const uint64_t seq = wal::GetFixed(body.data(), 8);
  std::weak_ptr<int> alive = alive_;
  ctx_->options->on_request(
      handshake_.from, body.substr(8), [this, alive, seq](std::string answer) {
        if (alive.expired() || stream_->closing()) return;
        std::string head;
        wal::PutFixed(seq, 8, &head);
        std::string out;
        AppendFrame(head + answer, &out);
        metrics::Server().peer_sent_bytes->Inc(out.size());
        stream_->Write(std::move(out));
      });
}

void InboundConn::OnEof() {
  state_ = State::kDone;
  stream_->Close();
}

void InboundConn::OnClosed(const base::Status& /*reason*/) {
  receiver_.reset();
  auto cb = hooks_.on_closed;
  cb(this);  // Last: may destroy this.
}

}  // namespace server::peer::internal

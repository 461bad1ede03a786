#include "server/peer/snapshot_sender.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "proto/raftpb/codec.h"
#include "server/config/ids.h"
#include "server/metrics/server_metrics.h"
#include "server/snap/snapshotter.h"
#include "server/wal/coding.h"
#include "server/wal/file_util.h"

namespace server::peer::internal {
namespace {
constexpr size_t kChunkBytes = 256u << 10;
constexpr size_t kHighWaterBytes = 1u << 20;
}  // namespace

// The open snapshot file; touched only by jobs on the I/O thread after
// OnOpened, and closed with the last reference.
struct SnapshotSender::File {
  std::string path;
  wal::ScopedFd fd;
  uint64_t size = 0;
};

SnapshotSender::SnapshotSender(Context* ctx, uint64_t to, Url url,
                               raftpb::Message msg, DoneFn done)
    : ctx_(ctx),
      to_(to),
      url_(std::move(url)),
      msg_(std::move(msg)),
      done_(std::move(done)),
      reader_(ctx->options->max_frame_bytes) {
  CAIRN_CHECK(uv_timer_init(ctx_->loop, timer_.get()) == 0);
  timer_.MarkInitialized();
  timer_->data = this;
}

SnapshotSender::~SnapshotSender() = default;

void SnapshotSender::Start() {
  CAIRN_CHECK(msg_.snapshot.has_value());
  const auto& md = msg_.snapshot->metadata;
  file_ = std::make_shared<File>();
  file_->path =
      ctx_->options->snap_dir + "/" + snap::SnapshotFileName(md.term, md.index);
  Touch();
  std::shared_ptr<File> f = file_;
  std::weak_ptr<int> alive = alive_;
  ctx_->io->Submit([this, f, alive]() {
    base::Status s;
    auto fd = wal::OpenFile(f->path, O_RDONLY, nullptr);
    if (!fd.ok()) {
      s = fd.status();
    } else {
      f->fd = std::move(fd).value();
      struct stat st;
      if (::fstat(f->fd.get(), &st) != 0) {
        s = wal::ErrnoStatus("fstat", f->path, errno);
      } else {
        f->size = static_cast<uint64_t>(st.st_size);
      }
    }
    return [this, alive, s] {
      if (!alive.expired()) OnOpened(s);
    };
  });
}

void SnapshotSender::OnOpened(const base::Status& s) {
  if (!s.ok()) return Fail(s.ToString());
  CAIRN_LOG(kInfo, "peer",
            "%s: sending snapshot at index %" PRIu64 " (%" PRIu64
            " bytes) to %s",
            FormatId(ctx_->options->member_id).c_str(),
            msg_.snapshot->metadata.index, file_->size, FormatId(to_).c_str());
  state_ = State::kDialing;
  std::string host = DialHost(url_);
  if (host.empty()) return Fail("cannot dial " + url_.ToString());
  auto d = net::Dialer::Start(
      ctx_->loop, host, url_.port, ctx_->options->dial_timeout_ms,
      [this](base::Result<std::unique_ptr<net::TcpStream>> r) {
        OnDialed(std::move(r));
      });
  if (!d.ok()) return Fail(d.status().ToString());
  dialer_ = std::move(d).value();
}

void SnapshotSender::OnDialed(base::Result<std::unique_ptr<net::TcpStream>> r) {
  std::unique_ptr<net::Dialer> dialer = std::move(dialer_);
  if (!r.ok()) return Fail(r.status().ToString());
  stream_ = std::move(r).value();
  state_ = State::kHandshaking;
  stream_->Start(this);
  std::string out(kPreface);
  AppendFrame(EncodeHandshake(ctx_->MakeHandshake(StreamKind::kSnapshot, to_)),
              &out);
  stream_->Write(std::move(out));
  Touch();
}

void SnapshotSender::OnRead(std::string_view data) {
  reader_.Feed(data);
  std::string body;
  while (state_ != State::kDone && reader_.Next(&body)) {
    auto v = DecodeVerdict(body);
    if (!v.ok()) return Fail(v.status().ToString());
    if (v->code != VerdictCode::kAccepted) {
      return Fail("refused by the peer: " + v->message);
    }
    if (state_ == State::kHandshaking) {
      // Accepted: the MsgSnap, the size, then the file.
      std::string out;
      AppendFrame(raftpb::EncodeToString(msg_), &out);
      std::string size;
      wal::PutFixed(file_->size, 8, &size);
      AppendFrame(size, &out);
      stream_->Write(std::move(out));
      state_ = State::kSending;
      Touch();
      ReadNext();
    } else if (state_ == State::kAwaiting || state_ == State::kSending) {
      return Succeed();
    }
  }
  if (!reader_.status().ok()) Fail(reader_.status().ToString());
}

void SnapshotSender::ReadNext() {
  if (state_ != State::kSending || read_in_flight_) return;
  if (sent_ == file_->size) {
    state_ = State::kAwaiting;
    return;
  }
  if (stream_->queued_bytes() >= kHighWaterBytes) return;  // OnWriteDrained.
  read_in_flight_ = true;
  std::shared_ptr<File> f = file_;
  std::weak_ptr<int> alive = alive_;
  uint64_t offset = sent_;
  size_t n =
      static_cast<size_t>(std::min<uint64_t>(kChunkBytes, f->size - offset));
  ctx_->io->Submit([this, f, alive, offset, n]() {
    std::string data(n, '\0');
    base::Status s;
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(f->fd.get(), data.data() + got, n - got,
                          static_cast<off_t>(offset + got));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) {
        s = wal::ErrnoStatus("read", f->path, errno);
        break;
      }
      if (r == 0) {
        s = base::Status::DataLoss(f->path + " shrank while being sent");
        break;
      }
      got += static_cast<size_t>(r);
    }
    return [this, alive, s, data = std::move(data)]() mutable {
      if (!alive.expired()) OnChunk(s, std::move(data));
    };
  });
}

void SnapshotSender::OnChunk(const base::Status& s, std::string data) {
  read_in_flight_ = false;
  if (state_ != State::kSending) return;
  if (!s.ok()) return Fail(s.ToString());
  sent_ += data.size();
  metrics::Server().peer_sent_bytes->Inc(data.size());
  stream_->Write(std::move(data));
  Touch();
  ReadNext();
}

void SnapshotSender::OnWriteDrained() {
  Touch();
  ReadNext();
}

void SnapshotSender::OnEof() { Fail("closed by the peer"); }

void SnapshotSender::OnClosed(const base::Status& reason) {
  if (state_ != State::kDone) {
    Fail(reason.ok() ? "connection closed" : reason.ToString());
  }
}

void SnapshotSender::Touch() {
  uv_timer_start(timer_.get(), &SnapshotSender::OnTimer,
                 ctx_->options->snapshot_idle_timeout_ms, 0);
}

void SnapshotSender::OnTimer(uv_timer_t* t) {
  auto* self = static_cast<SnapshotSender*>(t->data);
  if (self != nullptr) self->Fail("no progress in time");
}

void SnapshotSender::Fail(const std::string& why) {
  if (state_ == State::kDone) return;
  state_ = State::kDone;
  uv_timer_stop(timer_.get());
  if (stream_) stream_->Close();
  dialer_.reset();
  CAIRN_LOG(kWarn, "peer", "%s: sending snapshot to %s failed: %s",
            FormatId(ctx_->options->member_id).c_str(), FormatId(to_).c_str(),
            why.c_str());
  DoneFn done = std::move(done_);
  ctx_->defer([done, why] { done(false, why); });
}

void SnapshotSender::Succeed() {
  state_ = State::kDone;
  uv_timer_stop(timer_.get());
  stream_->Close();
  CAIRN_LOG(kInfo, "peer", "%s: sent snapshot at index %" PRIu64 " to %s",
            FormatId(ctx_->options->member_id).c_str(),
            msg_.snapshot->metadata.index, FormatId(to_).c_str());
  DoneFn done = std::move(done_);
  ctx_->defer([done] { done(true, ""); });
}

}  // namespace server::peer::internal

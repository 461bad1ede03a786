#include "server/peer/snapshot_receiver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <utility>

#include "base/log.h"
#include "proto/raftpb/codec.h"
#include "server/config/ids.h"
#include "server/snap/snapshotter.h"
#include "server/wal/coding.h"
#include "server/wal/crc32c.h"
#include "server/wal/file_util.h"

namespace server::peer::internal {
namespace {

constexpr size_t kChunkBytes = 1u << 20;
constexpr size_t kPauseBytes = 8u << 20;
// Header (48 bytes) and CRC trailer (4) of a snapshot file (server/snap).
constexpr uint64_t kHeaderBytes = 48;
constexpr uint64_t kTrailerBytes = 4;
constexpr uint64_t kMaxSnapshotBytes = uint64_t{1} << 42;  // 4 TiB.

}  // namespace

// The file being written; touched only by jobs on the I/O thread.
struct SnapshotReceiver::File {
  std::string dir;
  std::string tmp;
  std::string path;
  uint64_t size = 0;
  uint64_t term = 0;
  uint64_t index = 0;
  wal::ScopedFd fd;
  uint64_t offset = 0;
  uint32_t crc = 0;
  std::string head;     // The first kHeaderBytes bytes.
  std::string trailer;  // The last kTrailerBytes bytes.
  base::Status status;
  bool renamed = false;

  void Append(std::string_view data) {
    if (!status.ok()) return;
    if (!fd.valid()) {
      auto opened = wal::OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, nullptr);
      if (!opened.ok()) {
        status = opened.status();
        return;
      }
      fd = std::move(opened).value();
    }
    status = wal::WriteAllAt(fd.get(), tmp, data, offset, nullptr);
    // Checksum everything before the trailer; keep header and trailer.
    for (size_t i = 0; i < data.size();) {
      uint64_t at = offset + i;
      if (at < size - kTrailerBytes) {
        size_t n =
            std::min<uint64_t>(data.size() - i, size - kTrailerBytes - at);
        crc = wal::crc32c::Extend(crc, data.data() + i, n);
        if (head.size() < kHeaderBytes) {
          head.append(
              data.substr(i, std::min<size_t>(n, kHeaderBytes - head.size())));
        }
        i += n;
      } else {
        trailer.append(data.substr(i));
        i = data.size();
      }
    }
    offset += data.size();
  }

  void Finish() {
    if (status.ok()) status = wal::SyncFd(fd.get(), tmp, false, nullptr);
    fd = wal::ScopedFd();
    if (status.ok() &&
        (head.size() != kHeaderBytes || head.compare(0, 8, "CAIRNSNP") != 0 ||
         wal::GetFixed(head.data() + 16, 8) != term ||
         wal::GetFixed(head.data() + 24, 8) != index)) {
      status = base::Status::DataLoss(
          "received snapshot's header does not match its MsgSnap");
    }
    if (status.ok() && (trailer.size() != kTrailerBytes ||
                        wal::GetFixed(trailer.data(), 4) != crc)) {
      status = base::Status::DataLoss("received snapshot fails its checksum");
    }
    if (status.ok()) status = wal::RenameDurably(dir, tmp, path, nullptr);
    if (status.ok()) {
      renamed = true;
    } else {
      ::unlink(tmp.c_str());
    }
  }
};

SnapshotReceiver::SnapshotReceiver(Context* ctx, uint64_t from, Hooks hooks)
    : ctx_(ctx), from_(from), hooks_(std::move(hooks)) {}

SnapshotReceiver::~SnapshotReceiver() {
  if (file_ && !finished_) {
    std::shared_ptr<File> f = file_;
    ctx_->io->Submit([f]() -> wal::StorageThread::Completion {
      f->fd = wal::ScopedFd();
      if (!f->renamed) ::unlink(f->tmp.c_str());
      return nullptr;
    });
  }
}

base::Status SnapshotReceiver::Feed(FrameReader* reader,
                                    std::string_view data) {
  if (finishing_) {
    return base::Status::DataLoss("peer: bytes after the snapshot");
  }
  if (!have_size_) {
    reader->Feed(data);
    std::string body;
    while (!have_size_ && reader->Next(&body)) {
      CAIRN_RETURN_IF_ERROR(OnFrame(body));
    }
    if (!reader->status().ok()) return reader->status();
    if (!have_size_) return base::Status::OK();
    std::string rest = reader->TakeRaw(reader->buffered());
    return rest.empty() ? base::Status::OK() : Feed(reader, rest);
  }
  if (data.size() > size_ - received_) {
    return base::Status::DataLoss("peer: snapshot longer than announced");
  }
  received_ += data.size();
  pending_.append(data);
  MaybeSubmit();
  return base::Status::OK();
}

base::Status SnapshotReceiver::OnFrame(const std::string& body) {
  if (!have_msg_) {
    auto m = raftpb::DecodeMessage(body);
    if (!m.ok()) return m.status();
    if (m->type != raftpb::kMsgSnap || !m->snapshot.has_value() ||
        m->from != from_ || m->to != ctx_->options->member_id) {
      return base::Status::DataLoss("peer: snapshot stream without MsgSnap");
    }
    msg_ = std::move(m).value();
    have_msg_ = true;
    return base::Status::OK();
  }
  if (body.size() != 8)
    return base::Status::DataLoss("peer: bad snapshot size");
  size_ = wal::GetFixed(body.data(), 8);
  if (size_ < kHeaderBytes + kTrailerBytes || size_ > kMaxSnapshotBytes) {
    return base::Status::DataLoss("peer: bad snapshot size " +
                                  std::to_string(size_));
  }
  have_size_ = true;
  file_ = std::make_shared<File>();
  file_->dir = ctx_->options->snap_dir;
  const auto& md = msg_.snapshot->metadata;
  file_->path = file_->dir + "/" + snap::SnapshotFileName(md.term, md.index);
  file_->tmp = file_->path + ".recv.tmp";
  file_->size = size_;
  file_->term = md.term;
  file_->index = md.index;
  CAIRN_LOG(kInfo, "peer",
            "%s: receiving snapshot at index %" PRIu64 " (%" PRIu64
            " bytes) from %s",
            FormatId(ctx_->options->member_id).c_str(), md.index, size_,
            FormatId(from_).c_str());
  return base::Status::OK();
}

void SnapshotReceiver::MaybeSubmit() {
  const bool complete = received_ == size_;
  if (job_in_flight_) {
    if (pending_.size() >= kPauseBytes) hooks_.pause(true);
    return;
  }
  if (pending_.size() >= kChunkBytes || (complete && !pending_.empty())) {
    job_in_flight_ = true;
    std::shared_ptr<File> f = file_;
    std::weak_ptr<int> alive = alive_;
    ctx_->io->Submit([this, f, alive, data = std::move(pending_)]() {
      f->Append(data);
      return [this, alive] {
        if (alive.expired()) return;
        job_in_flight_ = false;
        hooks_.pause(false);
        MaybeSubmit();
      };
    });
    pending_.clear();
    return;
  }
  if (complete && !finishing_) Finish();
}

void SnapshotReceiver::Finish() {
  finishing_ = true;
  std::shared_ptr<File> f = file_;
  std::weak_ptr<int> alive = alive_;
  ctx_->io->Submit([this, f, alive]() {
    f->Finish();
    return [this, f, alive] {
      if (alive.expired()) return;
      finished_ = true;
      Verdict v;
      v.cluster_id = ctx_->options->cluster_id;
      v.member_id = ctx_->options->member_id;
      if (!f->status.ok()) {
        v.code = VerdictCode::kBadRequest;
        v.message = f->status.ToString();
        CAIRN_LOG(kWarn, "peer", "%s: snapshot from %s failed: %s",
                  FormatId(ctx_->options->member_id).c_str(),
                  FormatId(from_).c_str(), v.message.c_str());
      } else {
        ctx_->stats->snapshots_received++;
        CAIRN_LOG(kInfo, "peer", "%s: received snapshot %s from %s",
                  FormatId(ctx_->options->member_id).c_str(), f->path.c_str(),
                  FormatId(from_).c_str());
      }
      hooks_.done(v, std::move(msg_));
    };
  });
}

}  // namespace server::peer::internal

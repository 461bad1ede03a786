// Maintenance.Snapshot: the member's database as a stream, in etcd's format
// (etcdserver/api/v3rpc/maintenance.go): chunks of at most 32 KiB, each with
// remaining_bytes = database bytes still to come, then one message whose
// blob is the SHA-256 of all the chunks' bytes, remaining_bytes 0.
// `etcdctl snapshot save` checks that the total length is 32 more than a
// multiple of 512 (SQLite's pages are) and keeps the file.
//
// The copy is a consistent SQLite backup (kvstore::Store::Snapshot), made on
// libuv's pool into <data-dir>/member and unlinked as soon as it is open,
// so nothing is left behind whatever happens to the call or the process.
// Chunks are written as HTTP/2 flow control lets them out.

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "base/log.h"
#include "etcdserverpb/rpc.pb.h"
#include "server/api/off_loop.h"
#include "server/api/services.h"
#include "server/api/unary.h"

namespace server::api {
namespace {

constexpr size_t kChunkBytes = 32 * 1024;
// Chunks queued in the call beyond what flow control let out.
constexpr size_t kMaxPendingBytes = 1 << 20;

struct SnapshotFile {
  base::Status status;
  int fd = -1;
  uint64_t size = 0;
};

// Copies the database to `path`, opens the copy and unlinks it.
SnapshotFile MakeSnapshotFile(kvstore::Store* store, const std::string& path) {
  SnapshotFile f;
  unlink(path.c_str());
  f.status = store->Snapshot(path);
  if (!f.status.ok()) return f;
  f.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int err = errno;
  unlink(path.c_str());
  struct stat st;
  if (f.fd < 0 || fstat(f.fd, &st) != 0) {
    f.status = base::Status::Internal("snapshot " + path + ": " +
                                      std::strerror(f.fd < 0 ? err : errno));
    return f;
  }
  f.size = static_cast<uint64_t>(st.st_size);
  return f;
}

class SnapshotStream : public std::enable_shared_from_this<SnapshotStream> {
 public:
  SnapshotStream(grpc::CallPtr call, int fd, uint64_t total)
      : call_(std::move(call)), fd_(fd), total_(total) {
    sha_ = EVP_MD_CTX_new();
    CAIRN_CHECK(sha_ != nullptr &&
                EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr) == 1);
  }
  ~SnapshotStream() {
    if (fd_ >= 0) close(fd_);
    EVP_MD_CTX_free(sha_);
  }
  SnapshotStream(const SnapshotStream&) = delete;
  SnapshotStream& operator=(const SnapshotStream&) = delete;

  void Start() {
    CAIRN_LOG(kInfo, "maintenance",
              "sending database snapshot to client [%llu bytes]",
              static_cast<unsigned long long>(total_));
    auto self = shared_from_this();
    // The call drops its callbacks when it ends, releasing this stream.
    call_->OnWriteReady([self] { self->Pump(); });
    Pump();
  }

 private:
  void Pump() {
    std::string chunk;
    while (!call_->done() && call_->pending_bytes() < kMaxPendingBytes) {
      if (sent_ == total_) return Finish();
      chunk.resize(std::min<uint64_t>(kChunkBytes, total_ - sent_));
      ssize_t n =
          pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(sent_));
      if (n <= 0) {
        return call_->Finish(base::Status::Internal(
            std::string("snapshot read: ") +
            (n < 0 ? std::strerror(errno) : "unexpected end of file")));
      }
      chunk.resize(static_cast<size_t>(n));
      sent_ += static_cast<uint64_t>(n);
      EVP_DigestUpdate(sha_, chunk.data(), chunk.size());
      etcdserverpb::SnapshotResponse r;
      r.set_remaining_bytes(total_ - sent_);
      r.set_blob(chunk);
      call_->Write(r.SerializeAsString());
    }
  }

  void Finish() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(sha_, digest, &len);
    etcdserverpb::SnapshotResponse r;
    r.set_blob(std::string(reinterpret_cast<const char*>(digest), len));
    call_->Write(r.SerializeAsString());
    call_->Finish(base::Status());
    CAIRN_LOG(kInfo, "maintenance", "sent database snapshot [%llu bytes]",
              static_cast<unsigned long long>(total_));
  }

  grpc::CallPtr call_;
  int fd_;
  const uint64_t total_;
  uint64_t sent_ = 0;
  EVP_MD_CTX* sha_;
};

}  // namespace

void RegisterSnapshot(const MemberContext* ctx,
                      grpc::MethodRegistry* registry) {
  registry->AddServerStreaming(
      "/etcdserverpb.Maintenance/Snapshot",
      [ctx](grpc::CallPtr call, std::string bytes) {
        etcdserverpb::SnapshotRequest req;
        if (!internal::ParseRequest(call, ctx, bytes, &req)) return;
        static uint64_t counter = 0;
        std::string path = ctx->data_dir + "/member/client-snapshot-" +
                           std::to_string(++counter) + ".tmp";
        kvstore::Store* store = ctx->store;
        internal::RunOffLoop<SnapshotFile>(
            ctx->node->loop(),
            [store, path] { return MakeSnapshotFile(store, path); },
            [call](SnapshotFile f) {
              if (!f.status.ok()) {
                if (f.fd >= 0) close(f.fd);
                CAIRN_LOG(kWarn, "maintenance", "snapshot failed: %s",
                          f.status.ToString().c_str());
                return call->Finish(f.status);
              }
              std::make_shared<SnapshotStream>(call, f.fd, f.size)->Start();
            });
      });
}

}  // namespace server::api

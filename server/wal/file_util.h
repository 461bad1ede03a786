#pragma once

// Small POSIX file helpers shared by the WAL and the snapshot files. Every
// failure becomes a Status naming the operation, the path and the errno
// ("fdatasync wal/0000000000000001-0000000000000010.wal: Input/output
// error"). ENOSPC and EDQUOT become RESOURCE_EXHAUSTED, EINTR is retried,
// every other errno is INTERNAL.
//
// Thread safety: the functions keep no state; concurrent calls on different
// files are safe.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"

namespace server::wal {

// A test hook for fault injection: called before each write, sync, allocate
// and rename with the operation name ("write", "fdatasync", "fsync",
// "fallocate", "rename", "open") and the path. Returning a non-zero errno
// makes that operation fail with it, without doing it.
using FaultHook =
    std::function<int(std::string_view op, std::string_view path)>;

// Returns a Status for `err` (an errno) while doing `op` on `path`.
base::Status ErrnoStatus(std::string_view op, std::string_view path, int err);

// Writes all of data to fd at `offset` (pwrite, retried on short writes).
base::Status WriteAllAt(int fd, std::string_view path, std::string_view data,
                        uint64_t offset, const FaultHook& hook);

// fdatasync(fd) when data_only, else fsync(fd).
base::Status SyncFd(int fd, std::string_view path, bool data_only,
                    const FaultHook& hook);

// Makes [offset, offset+len) of the file allocated (fallocate mode 0, which
// also extends the size). Where the filesystem has no fallocate, extends the
// size with ftruncate instead; either way the new bytes read as zeros.
base::Status Allocate(int fd, std::string_view path, uint64_t offset,
                      uint64_t len, const FaultHook& hook);

// Opens dir and fsyncs it, so that entries created, renamed or removed in it
// are durable.
base::Status SyncDir(const std::string& dir, const FaultHook& hook);

// rename(from, to) then SyncDir(dir).
base::Status RenameDurably(const std::string& dir, const std::string& from,
                           const std::string& to, const FaultHook& hook);

// unlink(path). Does not sync the directory (batch removals, then SyncDir).
base::Status RemoveFile(const std::string& path);

// Reads the whole file.
base::Result<std::string> ReadFile(const std::string& path);

// Returns the names (not paths) of the regular entries of dir, sorted.
base::Result<std::vector<std::string>> ListDir(const std::string& dir);

// Creates dir (and missing parents) with mode 0700; OK if it exists.
base::Status CreateDirs(const std::string& dir);

// "dir/name".
std::string JoinPath(std::string_view dir, std::string_view name);

// Owns a file descriptor; closes it on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& o) noexcept : fd_(o.release()) {}
  ScopedFd& operator=(ScopedFd&& o) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// open(path, flags, 0600) as a ScopedFd.
base::Result<ScopedFd> OpenFile(const std::string& path, int flags,
                                const FaultHook& hook);

}  // namespace server::wal

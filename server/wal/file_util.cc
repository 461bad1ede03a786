#include "server/wal/file_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace server::wal {
namespace {

int Injected(const FaultHook& hook, std::string_view op,
             std::string_view path) {
  return hook ? hook(op, path) : 0;
}

}  // namespace

base::Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  std::string m(op);
  m += ' ';
  m += path;
  m += ": ";
  m += std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    return base::Status::ResourceExhausted(std::move(m));
  }
  return base::Status::Internal(std::move(m));
}

base::Status WriteAllAt(int fd, std::string_view path, std::string_view data,
                        uint64_t offset, const FaultHook& hook) {
  if (int err = Injected(hook, "write", path)) {
    return ErrnoStatus("write", path, err);
  }
  while (!data.empty()) {
    ssize_t n =
        ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    if (n == 0) return ErrnoStatus("write", path, EIO);
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return base::Status::OK();
}

base::Status SyncFd(int fd, std::string_view path, bool data_only,
                    const FaultHook& hook) {
  const char* op = data_only ? "fdatasync" : "fsync";
  if (int err = Injected(hook, op, path)) return ErrnoStatus(op, path, err);
  int rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  if (rc != 0) return ErrnoStatus(op, path, errno);
  return base::Status::OK();
}

base::Status Allocate(int fd, std::string_view path, uint64_t offset,
                      uint64_t len, const FaultHook& hook) {
  if (int err = Injected(hook, "fallocate", path)) {
    return ErrnoStatus("fallocate", path, err);
  }
  int rc;
  do {
    rc =
        ::fallocate(fd, 0, static_cast<off_t>(offset), static_cast<off_t>(len));
  } while (rc != 0 && errno == EINTR);
  if (rc == 0) return base::Status::OK();
  if (errno != EOPNOTSUPP && errno != ENOSYS) {
    return ErrnoStatus("fallocate", path, errno);
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("fstat", path, errno);
  uint64_t end = offset + len;
  if (static_cast<uint64_t>(st.st_size) >= end) return base::Status::OK();
  if (::ftruncate(fd, static_cast<off_t>(end)) != 0) {
    return ErrnoStatus("ftruncate", path, errno);
  }
  return base::Status::OK();
}

base::Status SyncDir(const std::string& dir, const FaultHook& hook) {
  CAIRN_ASSIGN_OR_RETURN(ScopedFd fd,
                         OpenFile(dir, O_RDONLY | O_DIRECTORY, nullptr));
  return SyncFd(fd.get(), dir, /*data_only=*/false, hook);
}

base::Status RenameDurably(const std::string& dir, const std::string& from,
                           const std::string& to, const FaultHook& hook) {
  if (int err = Injected(hook, "rename", to)) {
    return ErrnoStatus("rename", from, err);
  }
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus("rename", from, errno);
  }
  return SyncDir(dir, hook);
}

base::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoStatus("unlink", path, errno);
  return base::Status::OK();
}

base::Result<std::string> ReadFile(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY, nullptr));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path, errno);
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pread(fd.get(), data.data() + done, data.size() - done,
                        static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (n == 0) break;  // Shrunk under us; return what is there.
    done += static_cast<size_t>(n);
  }
  data.resize(done);
  return data;
}

base::Result<std::vector<std::string>> ListDir(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("opendir", dir, errno);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN) continue;
    names.emplace_back(name);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

base::Status CreateDirs(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      return ErrnoStatus("mkdir", prefix, errno);
    }
  }
  return base::Status::OK();
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  std::string p(dir);
  if (!p.empty() && p.back() != '/') p += '/';
  p += name;
  return p;
}

ScopedFd& ScopedFd::operator=(ScopedFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

base::Result<ScopedFd> OpenFile(const std::string& path, int flags,
                                const FaultHook& hook) {
  if (int err = Injected(hook, "open", path)) {
    return ErrnoStatus("open", path, err);
  }
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, 0600);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  return ScopedFd(fd);
}

}  // namespace server::wal

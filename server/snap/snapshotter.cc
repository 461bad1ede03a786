#include "server/snap/snapshotter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <utility>

#include "base/check.h"
#include "base/log.h"
#include "server/wal/coding.h"
#include "server/wal/crc32c.h"

namespace server::snap {
namespace {

using wal::ErrnoStatus;
using wal::GetFixed;
using wal::JoinPath;
using wal::PutFixed;
using wal::ScopedFd;

constexpr char kMagic[8] = {'C', 'A', 'I', 'R', 'N', 'S', 'N', 'P'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 48;
constexpr size_t kTrailerSize = 4;
constexpr uint32_t kMaxMetadata = 64u << 20;
constexpr size_t kChunk = 1u << 20;
constexpr std::string_view kSuffix = ".snap";
constexpr std::string_view kTempSuffix = ".tmp";
constexpr std::string_view kBrokenSuffix = ".broken";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// Reads exactly n bytes at offset into buf.
base::Status ReadAt(int fd, const std::string& path, char* buf, size_t n,
                    uint64_t offset) {
  while (n > 0) {
    ssize_t r = ::pread(fd, buf, n, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (r == 0) return base::Status::DataLoss("snap: " + path + " shrank");
    buf += r;
    n -= static_cast<size_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return base::Status::OK();
}

base::Status Corrupt(const std::string& path, const std::string& why) {
  return base::Status::DataLoss("snap: corrupt snapshot " + path + ": " + why);
}

}  // namespace

std::string SnapshotFileName(uint64_t term, uint64_t index) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%016" PRIx64 "-%016" PRIx64 ".snap", term,
                index);
  return buf;
}

bool ParseSnapshotFileName(std::string_view name, uint64_t* term,
                           uint64_t* index) {
  return wal::ParseHexPairName(name, kSuffix, term, index);
}

Snapshotter::Snapshotter(std::string dir, wal::FaultHook fault_hook)
    : dir_(std::move(dir)), fault_hook_(std::move(fault_hook)) {}

base::Status Snapshotter::Init() {
  CAIRN_RETURN_IF_ERROR(wal::CreateDirs(dir_));
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> names, wal::ListDir(dir_));
  bool removed = false;
  for (const std::string& name : names) {
    if (EndsWith(name, kTempSuffix)) {
      CAIRN_LOG(kInfo, "snap", "removing leftover %s", name.c_str());
      CAIRN_RETURN_IF_ERROR(wal::RemoveFile(JoinPath(dir_, name)));
      removed = true;
    }
  }
  return removed ? wal::SyncDir(dir_, fault_hook_) : base::Status::OK();
}

base::Status Snapshotter::Save(uint64_t term, uint64_t index,
                               std::string_view metadata,
                               std::string_view payload) {
  return Write(term, index, metadata, payload.size(),
               [payload](const auto& sink) { return sink(payload); });
}

base::Status Snapshotter::SaveFromFile(uint64_t term, uint64_t index,
                                       std::string_view metadata,
                                       const std::string& payload_path) {
  CAIRN_ASSIGN_OR_RETURN(ScopedFd src,
                         wal::OpenFile(payload_path, O_RDONLY, nullptr));
  struct stat st;
  if (::fstat(src.get(), &st) != 0) {
    return ErrnoStatus("fstat", payload_path, errno);
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  return Write(term, index, metadata, size, [&](const auto& sink) {
    std::string buf;
    for (uint64_t off = 0; off < size;) {
      buf.resize(std::min<uint64_t>(kChunk, size - off));
      CAIRN_RETURN_IF_ERROR(
          ReadAt(src.get(), payload_path, buf.data(), buf.size(), off));
      CAIRN_RETURN_IF_ERROR(sink(buf));
      off += buf.size();
    }
    return base::Status::OK();
  });
}

base::Status Snapshotter::Write(
    uint64_t term, uint64_t index, std::string_view metadata,
    uint64_t payload_len,
    const std::function<base::Status(
        const std::function<base::Status(std::string_view)>&)>& produce) {
  if (metadata.size() > kMaxMetadata) {
    return base::Status::InvalidArgument("snap: metadata too large");
  }
  const std::string name = SnapshotFileName(term, index);
  const std::string path = JoinPath(dir_, name);
  const std::string tmp = path + std::string(kTempSuffix);
  CAIRN_ASSIGN_OR_RETURN(
      ScopedFd fd,
      wal::OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC, fault_hook_));
  uint64_t offset = 0;
  uint64_t payload_written = 0;
  uint32_t crc = 0;
  auto write = [&](std::string_view data) {
    crc = wal::crc32c::Extend(crc, data.data(), data.size());
    base::Status s = wal::WriteAllAt(fd.get(), tmp, data, offset, fault_hook_);
    offset += data.size();
    return s;
  };
  std::string header(kMagic, sizeof kMagic);
  PutFixed(kVersion, 4, &header);
  PutFixed(0, 4, &header);  // flags
  PutFixed(term, 8, &header);
  PutFixed(index, 8, &header);
  PutFixed(metadata.size(), 4, &header);
  PutFixed(0, 4, &header);  // reserved
  PutFixed(payload_len, 8, &header);
  header.append(metadata);
  base::Status s = write(header);
  if (s.ok()) {
    s = produce([&](std::string_view chunk) {
      payload_written += chunk.size();
      return write(chunk);
    });
  }
  if (s.ok() && payload_written != payload_len) {
    s = base::Status::Internal("snap: payload changed size while writing " +
                               tmp);
  }
  if (s.ok()) {
    std::string trailer;
    PutFixed(crc, 4, &trailer);
    s = wal::WriteAllAt(fd.get(), tmp, trailer, offset, fault_hook_);
  }
  if (s.ok()) s = wal::SyncFd(fd.get(), tmp, /*data_only=*/false, fault_hook_);
  fd = ScopedFd();
  if (s.ok()) s = wal::RenameDurably(dir_, tmp, path, fault_hook_);
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  CAIRN_LOG(kInfo, "snap", "saved snapshot %s (%llu payload bytes)",
            path.c_str(), static_cast<unsigned long long>(payload_len));
  return base::Status::OK();
}

base::Result<std::vector<SnapshotFile>> Snapshotter::List() const {
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> names, wal::ListDir(dir_));
  std::vector<SnapshotFile> files;
  for (std::string& name : names) {
    SnapshotFile f;
    if (!ParseSnapshotFileName(name, &f.term, &f.index)) continue;
    f.path = JoinPath(dir_, name);
    f.name = std::move(name);
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) {
              if (a.index != b.index) return a.index > b.index;
              return a.term > b.term;
            });
  return files;
}

base::Result<LoadedSnapshot> Snapshotter::Load(
    const SnapshotFile& file, const LoadOptions& options) const {
  const std::string& path = file.path;
  CAIRN_ASSIGN_OR_RETURN(ScopedFd fd, wal::OpenFile(path, O_RDONLY, nullptr));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0) return ErrnoStatus("fstat", path, errno);
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  if (size < kHeaderSize + kTrailerSize) {
    return Corrupt(path, "file too short (" + std::to_string(size) + " bytes)");
  }
  char h[kHeaderSize];
  CAIRN_RETURN_IF_ERROR(ReadAt(fd.get(), path, h, kHeaderSize, 0));
  if (std::memcmp(h, kMagic, sizeof kMagic) != 0) {
    return Corrupt(path, "bad magic");
  }
  if (GetFixed(h + 8, 4) != kVersion) return Corrupt(path, "unknown version");
  LoadedSnapshot out;
  out.term = GetFixed(h + 16, 8);
  out.index = GetFixed(h + 24, 8);
  const uint64_t md_len = GetFixed(h + 32, 4);
  out.payload_size = GetFixed(h + 40, 8);
  out.path = path;
  if (out.term != file.term || out.index != file.index) {
    return Corrupt(path, "header does not match the file name");
  }
  if (md_len > kMaxMetadata || out.payload_size > size ||
      kHeaderSize + md_len + out.payload_size + kTrailerSize != size) {
    return Corrupt(path, "lengths do not match the file size");
  }
  uint32_t crc = wal::crc32c::Extend(0, h, kHeaderSize);
  out.metadata.resize(md_len);
  CAIRN_RETURN_IF_ERROR(
      ReadAt(fd.get(), path, out.metadata.data(), md_len, kHeaderSize));
  crc = wal::crc32c::Extend(crc, out.metadata.data(), md_len);
  ScopedFd dst;
  if (!options.payload_path.empty()) {
    CAIRN_ASSIGN_OR_RETURN(
        dst, wal::OpenFile(options.payload_path, O_WRONLY | O_CREAT | O_TRUNC,
                           fault_hook_));
  } else {
    out.payload.reserve(out.payload_size);
  }
  std::string buf;
  const uint64_t payload_off = kHeaderSize + md_len;
  for (uint64_t done = 0; done < out.payload_size;) {
    buf.resize(std::min<uint64_t>(kChunk, out.payload_size - done));
    CAIRN_RETURN_IF_ERROR(
        ReadAt(fd.get(), path, buf.data(), buf.size(), payload_off + done));
    crc = wal::crc32c::Extend(crc, buf.data(), buf.size());
    if (dst.valid()) {
      CAIRN_RETURN_IF_ERROR(wal::WriteAllAt(dst.get(), options.payload_path,
                                            buf, done, fault_hook_));
    } else {
      out.payload.append(buf);
    }
    done += buf.size();
  }
  char trailer[kTrailerSize];
  CAIRN_RETURN_IF_ERROR(
      ReadAt(fd.get(), path, trailer, kTrailerSize, size - kTrailerSize));
  uint32_t stored = static_cast<uint32_t>(GetFixed(trailer, 4));
  if (stored != crc) {
    char why[80];
    std::snprintf(why, sizeof why,
                  "checksum mismatch (stored 0x%08x, computed 0x%08x)", stored,
                  crc);
    return Corrupt(path, why);
  }
  if (dst.valid()) {
    CAIRN_RETURN_IF_ERROR(
        wal::SyncFd(dst.get(), options.payload_path, false, fault_hook_));
  }
  return out;
}

base::Result<LoadedSnapshot> Snapshotter::LoadNewest(
    const LoadOptions& options, std::vector<std::string>* skipped) const {
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotFile> files, List());
  for (const SnapshotFile& f : files) {
    if (options.accept && !options.accept(f.term, f.index)) continue;
    base::Result<LoadedSnapshot> r = Load(f, options);
    if (r.ok()) return r;
    if (r.status().code() != base::StatusCode::kDataLoss) return r.status();
    CAIRN_LOG(kWarn, "snap", "skipping %s", r.status().message().c_str());
    if (skipped != nullptr) skipped->push_back(r.status().message());
    std::string broken = f.path + std::string(kBrokenSuffix);
    CAIRN_RETURN_IF_ERROR(
        wal::RenameDurably(dir_, f.path, broken, fault_hook_));
  }
  return base::Status::NotFound("snap: no valid snapshot in " + dir_);
}

base::Status Snapshotter::Release(size_t keep) {
  CAIRN_CHECK(keep >= 1, "Release must keep a snapshot");
  CAIRN_ASSIGN_OR_RETURN(std::vector<SnapshotFile> files, List());
  if (files.size() <= keep) return base::Status::OK();
  const uint64_t oldest_kept = files[keep - 1].index;
  for (size_t i = keep; i < files.size(); ++i) {
    CAIRN_RETURN_IF_ERROR(wal::RemoveFile(files[i].path));
  }
  CAIRN_ASSIGN_OR_RETURN(std::vector<std::string> names, wal::ListDir(dir_));
  for (const std::string& name : names) {
    if (!EndsWith(name, kBrokenSuffix)) continue;
    uint64_t term;
    uint64_t index;
    std::string base = name.substr(0, name.size() - kBrokenSuffix.size());
    if (ParseSnapshotFileName(base, &term, &index) && index < oldest_kept) {
      CAIRN_RETURN_IF_ERROR(wal::RemoveFile(JoinPath(dir_, name)));
    }
  }
  return wal::SyncDir(dir_, fault_hook_);
}

}  // namespace server::snap

#pragma once

// Snapshotter: the snapshot files beside the WAL.
//
// A snapshot file "<term>-<index>.snap" (16 lower-case hex digits each, as
// etcd names them) holds the raft metadata of the snapshot and the state
// machine's image, checksummed as a whole with CRC-32C (the byte layout is
// in docs/wal-format.md, "Snapshot files"):
//
//   magic "CAIRNSNP" (8) | version u32 | flags u32 (0) | term u64 |
//   index u64 | metadata_len u32 | reserved u32 (0) | payload_len u64 |
//   metadata[metadata_len] | payload[payload_len] | crc u32
//
// `metadata` is opaque here; the server stores the encoded
// raftpb::SnapshotMetadata (conf state, index, term) in it. `payload` is the
// state machine's snapshot, given as bytes or streamed from/to a file.
//
// Writes are atomic: the file is written as "<name>.tmp", fsynced, renamed
// into place and the directory fsynced. A leftover ".tmp" (a crash during a
// write) is ignored by loads and removed by Init(). Loading picks the newest
// snapshot (highest index, then term) whose checksum and layout hold; a
// corrupt one is reported (WARN log and `skipped`), renamed to
// "<name>.broken" so it is not tried again, and the next older one is tried.
//
// Thread safety: none; the storage thread owns the Snapshotter. Its files
// may be read by other processes (e.g. for peer snapshot transfer) once
// Save() returned.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/status.h"
#include "server/wal/file_util.h"

namespace server::snap {

// One snapshot file on disk, as named (not yet verified).
struct SnapshotFile {
  uint64_t term = 0;
  uint64_t index = 0;
  std::string name;  // "<term>-<index>.snap"
  std::string path;  // dir + "/" + name
};

// A verified snapshot.
struct LoadedSnapshot {
  uint64_t term = 0;
  uint64_t index = 0;
  std::string metadata;
  // The payload, unless it was streamed to LoadOptions::payload_path.
  std::string payload;
  uint64_t payload_size = 0;
  std::string path;  // The snapshot file it came from.
};

struct LoadOptions {
  // If non-empty, the payload is written to this file (created or
  // truncated, then fsynced) instead of LoadedSnapshot::payload. The file
  // holds the payload of the snapshot returned; it may hold garbage if the
  // load failed.
  std::string payload_path;
  // If set, only snapshots for which it returns true are candidates (e.g.
  // those whose marker is in the WAL: etcd's LoadNewestAvailable).
  std::function<bool(uint64_t term, uint64_t index)> accept;
};

// "<term>-<index>.snap".
std::string SnapshotFileName(uint64_t term, uint64_t index);
// Parses a snapshot file name; false if `name` is not one.
bool ParseSnapshotFileName(std::string_view name, uint64_t* term,
                           uint64_t* index);

class Snapshotter {
 public:
  // `dir` holds the snapshot files. `fault_hook` is a test hook (see
  // server/wal/file_util.h).
  explicit Snapshotter(std::string dir, wal::FaultHook fault_hook = nullptr);
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  // Creates the directory if needed and removes leftover "*.tmp" files.
  base::Status Init();

  // Writes snapshot (term, index) atomically with the payload given in
  // memory. An existing file of the same name is replaced. Errors: I/O
  // (RESOURCE_EXHAUSTED on a full disk, INTERNAL otherwise); the temp file
  // is removed on failure.
  base::Status Save(uint64_t term, uint64_t index, std::string_view metadata,
                    std::string_view payload);
  // Same, with the payload streamed from the file at payload_path.
  base::Status SaveFromFile(uint64_t term, uint64_t index,
                            std::string_view metadata,
                            const std::string& payload_path);

  // Snapshot files by name, newest (highest index, then term) first.
  base::Result<std::vector<SnapshotFile>> List() const;

  // Loads the newest valid snapshot (see the file comment). Corrupt files
  // are renamed "*.broken" and their path and reason appended to `skipped`
  // (may be null). Returns NOT_FOUND if no valid snapshot exists, an I/O
  // error if the directory cannot be read.
  base::Result<LoadedSnapshot> LoadNewest(
      const LoadOptions& options = {},
      std::vector<std::string>* skipped = nullptr) const;

  // Reads and verifies one snapshot file. DATA_LOSS naming the file and the
  // reason when it is corrupt.
  base::Result<LoadedSnapshot> Load(const SnapshotFile& file,
                                    const LoadOptions& options = {}) const;

  // Removes all but the `keep` newest snapshot files (keep >= 1), and any
  // "*.broken" files older than the oldest one kept. Syncs the directory.
  base::Status Release(size_t keep);

  const std::string& dir() const { return dir_; }

 private:
  base::Status Write(
      uint64_t term, uint64_t index, std::string_view metadata,
      uint64_t payload_len,
      const std::function<base::Status(
          const std::function<base::Status(std::string_view)>&)>& produce);

  const std::string dir_;
  const wal::FaultHook fault_hook_;
};

}  // namespace server::snap

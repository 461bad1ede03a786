#pragma once

// Backend: kvstore's only door to SQLite. It owns the connection, the
// prepared statements and the PRAGMAs; every SQL statement of the store is
// in backend.cc, whose opening essay describes the schema, the invariants and
// why the PRAGMAs are what they are. The rest of kvstore/ speaks in rows.
//
// Errors: every SQLite result code becomes a base::Status in one function
// (SqliteStatus in backend.cc); the message names the database file, the
// operation and SQLite's own text ("kvstore: /d/db.sqlite: insert_kv:
// disk I/O error (SQLITE_IOERR_WRITE)"). Corruption is kDataLoss, a full disk
// kResourceExhausted, anything else kInternal.
//
// Thread safety: none. The Store serializes all calls.

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/status.h"
#include "kvstore/checkpointer.h"
#include "kvstore/revision.h"

namespace kvstore {

// One stored version of a key: a PUT, or a tombstone (version == 0) left by
// a delete.
struct Row {
  Revision rev;  // the revision of the change (mod_revision, sub-revision)
  std::string key;
  int64_t create_revision = 0;  // 0 for a tombstone
  int64_t version = 0;          // 0 for a tombstone
  int64_t lease = 0;            // 0 for none, and for a tombstone
  std::string value;            // empty for a tombstone

  bool tombstone() const { return version == 0; }
};

// A lease as stored.
struct LeaseRow {
  int64_t id = 0;
  int64_t ttl = 0;            // granted TTL, seconds
  int64_t remaining_ttl = 0;  // last checkpointed remaining TTL; 0 = none
};

// How SQLite syncs. See backend.cc, "PRAGMAs".
enum class SyncMode {
  kNormal,  // WAL + synchronous=NORMAL: no fsync per commit, never corrupt
  kOff,     // WAL + synchronous=OFF: no fsync at all; power loss may corrupt
};

// Called before each write point (statement that changes the database, and
// COMMIT) with the point's name. A non-OK return is treated exactly as an
// I/O error from SQLite at that point. Tests use it to crash or fail there.
using FaultHook = std::function<base::Status(std::string_view point)>;

class Backend {
 public:
  // Opens (creating if absent) the database at `path`, sets the PRAGMAs,
  // creates the schema and prepares every statement.
  static base::Result<std::unique_ptr<Backend>> Open(const std::string& path,
                                                     SyncMode sync,
                                                     FaultHook fault_hook);
  ~Backend();
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  const std::string& path() const { return path_; }

  // Checkpoints, in WAL pages (frames): the WAL size at which one is asked
  // of the background checkpointer, at which the committing thread runs one
  // itself, and the step at which the -wal file's writeback is started. See
  // backend.cc, "PRAGMAs".
  static constexpr int kBackgroundCheckpointFrames = 4000;
  static constexpr int kInlineCheckpointFrames = 10000;
  static constexpr int kWalFlushFrames = 256;
  Checkpointer& checkpointer() { return *checkpointer_; }
  // Pages in the -wal file after the last commit on this connection (it
  // drops when a commit starts the file over).
  int wal_frames() const { return wal_frames_; }

  // Transactions. REQUIRES: Begin() only outside a transaction; Commit() and
  // Rollback() only inside one. Rollback() is best-effort (its error is
  // returned but the transaction is gone either way).
  base::Status Begin();
  base::Status Commit();
  base::Status Rollback();
  bool in_transaction() const { return in_txn_; }

  // kv table. Inserts one version; `version` 0 makes it a tombstone (then
  // create_revision, lease and value must be 0 / empty).
  base::Status InsertKv(Revision rev, std::string_view key,
                        int64_t create_revision, int64_t version, int64_t lease,
                        std::string_view value);
  // The row at `rev`; nullopt if there is none. With `with_value` false the
  // value is left empty.
  base::Result<std::optional<Row>> GetKv(Revision rev, bool with_value);
  base::Status DeleteKv(Revision rev);
  // Calls fn for each row with from_main <= rev.main <= to_main, in revision
  // order, until fn returns false. Values are read when `with_value`.
  base::Status ScanKv(int64_t from_main, int64_t to_main, bool with_value,
                      const std::function<bool(const Row&)>& fn);

  // meta table: named integers. Absent names read as `fallback`.
  base::Result<int64_t> GetMeta(std::string_view name, int64_t fallback);
  base::Status PutMeta(std::string_view name, int64_t value);
  base::Status DeleteMeta(std::string_view name);
  // Calls fn(name, value) for each name starting with `prefix` (non-empty),
  // in name order.
  base::Status ScanMeta(
      std::string_view prefix,
      const std::function<void(std::string_view, int64_t)>& fn);

  // cluster table: named blobs the server replicates (absent = nullopt).
  base::Result<std::optional<std::string>> GetCluster(std::string_view name);
  base::Status PutCluster(std::string_view name, std::string_view value);

  // lease table.
  base::Status PutLease(const LeaseRow& lease);  // insert or replace
  base::Status DeleteLease(int64_t id);
  base::Status ScanLeases(const std::function<void(const LeaseRow&)>& fn);

  // Copies the last committed state of the database to a new file at
  // `dest_path` (which must not exist), through a second connection, so a
  // transaction open on this one is neither seen nor disturbed.
  base::Status Backup(const std::string& dest_path);

  // A read transaction on a second connection, pinned at the last committed
  // state when BeginBackup() returns; CopyTo() copies exactly that state,
  // whatever is committed meanwhile. BeginBackup() is cheap, so the
  // committing thread pins and another thread copies. While it lives, the
  // -wal file cannot start over (its frames are still read).
  // Thread safety: a BackupSource may be used from any one thread at a
  // time, concurrently with the Backend.
  class BackupSource {
   public:
    ~BackupSource();
    BackupSource(const BackupSource&) = delete;
    BackupSource& operator=(const BackupSource&) = delete;
    // Copies the pinned state to a new file at `dest_path` (which must not
    // exist). Call once.
    base::Status CopyTo(const std::string& dest_path);

   private:
    friend class Backend;
    explicit BackupSource(sqlite3* db) : db_(db) {}
    sqlite3* const db_;
  };
  base::Result<std::unique_ptr<BackupSource>> BeginBackup();
  // Replaces the whole content of this database with the database at
  // `src_path`. REQUIRES: no transaction open.
  base::Status RestoreFrom(const std::string& src_path);

  // Size of the database file in bytes (page_count * page_size).
  base::Result<int64_t> SizeBytes();
  // Bytes of the pages in use (the size without the free list).
  base::Result<int64_t> SizeInUseBytes();
  // Rewrites the database without its free pages (VACUUM) and shrinks the
  // file. REQUIRES: no transaction open.
  base::Status Vacuum();

 private:
  class Statement;
  struct Statements;

  Backend(std::string path, sqlite3* db, FaultHook fault_hook);
  base::Status Prepare();
  base::Status Fault(std::string_view point);
  base::Status Error(int rc, std::string_view op) const;
  base::Status Exec(const char* sql, std::string_view op);
  // sqlite3_wal_hook: after each commit, with the WAL's size in pages.
  static int OnWalCommit(void* arg, sqlite3* db, const char* name, int frames);

  std::string path_;
  sqlite3* db_;
  FaultHook fault_hook_;
  std::unique_ptr<Statements> stmts_;
  std::unique_ptr<Checkpointer> checkpointer_;
  int wal_frames_ = 0;  // see wal_frames()
  bool in_txn_ = false;
};

}  // namespace kvstore

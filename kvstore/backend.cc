// kvstore's SQLite backend: every SQL statement of the store lives in this
// file.
//
// ** THE DATABASE FILE
//
// One SQLite database per member holds the key-value state the raft log has
// produced: every version of every key not yet compacted, the leases, and
// the index of the last applied log entry. It is the store of record; the
// in-memory key index (key_index.h) is rebuilt from it on open.
//
// ** TABLES
//
//   kv(rev_main, rev_sub, key, create_rev, version, lease, value)
//     PRIMARY KEY (rev_main, rev_sub), WITHOUT ROWID.
//     One row per change of a key, like the revision-keyed bucket of etcd's
//     bbolt backend. A PUT row holds the key's new state. A delete leaves a
//     tombstone row: version = 0, create_rev = 0, lease = 0, value empty.
//     Rows are keyed by revision, so applying a write appends at the right
//     edge of the b-tree (cheap), a watch catch-up is a range scan, and
//     compaction deletes rows by primary key. There is no key-ordered SQL
//     index: the in-memory key index maps keys to revisions.
//
//   lease(id INTEGER PRIMARY KEY, ttl, remaining_ttl)
//     The live leases: granted TTL in seconds, and the remaining TTL of the
//     last checkpoint (0 = none). Which keys a lease holds is not stored: it
//     is the `lease` column of each key's newest row. Expiry deadlines are
//     not stored either: they are local clock readings, restarted on open.
//
//   meta(name TEXT PRIMARY KEY, value INTEGER), WITHOUT ROWID.
//     "schema_version"    kSchemaVersion; an unknown version is refused.
//     "consistent_index"  the index of the last raft entry applied.
//     "compact_revision"  the revision of the last compaction (absent = none;
//                         the store then reports -1, as etcd does).
//     "alarm/<type>/<member>"  present (value 1) while alarm <type> (an
//                         etcdserverpb.AlarmType number) is raised for
//                         member <member> (decimal). Replicated requests
//                         raise and clear them, so every member has the
//                         same rows (etcd's "alarm" bucket).
//
//   cluster(name TEXT PRIMARY KEY, value BLOB), WITHOUT ROWID.
//     Replicated cluster metadata the server hands over as opaque bytes.
//     "membership"        the member registry (cairnpb.Membership) after
//                         the last configuration change applied (etcd's
//                         "members" and "members_removed" buckets). Kept
//                         here so it commits with consistent_index and
//                         travels in snapshots.
//
// ** INVARIANTS
//
//   1. consistent_index is written in the same SQLite transaction as the
//      data changes of the entries up to it. After any crash, the database
//      holds exactly the effect of entries 1..consistent_index, so replaying
//      entries > consistent_index restores the state, and replaying entries
//      <= consistent_index must change nothing (Store::Apply skips them).
//   2. (rev_main, rev_sub) increases with every change applied; rows are
//      only ever appended in that order, or deleted by compaction.
//   3. A key changes at most once per (rev_main, rev_sub); the current
//      revision is max(max(rev_main), compact_revision, 1).
//   4. After a compaction at C, no row with rev_main <= C exists except the
//      newest row of each key at or below C, and only if it is not a
//      tombstone.
//   5. Every non-zero `lease` in a key's newest row names a row of lease.
//
// ** PRAGMAs (SetPragmas)
//
//   journal_mode=WAL   Readers do not block the writer: Backup() copies the
//                      last committed state through a second connection
//                      while the apply thread keeps writing.
//   synchronous=NORMAL (SyncMode::kNormal, the default) In WAL mode this
//                      never fsyncs at commit, only at checkpoints, and the
//                      database is never corrupted by a power loss: a crash
//                      may lose the last transactions, never mix them. That
//                      loss is harmless: the server's raft WAL is the record
//                      of durability, and by invariant 1 the lost entries are
//                      replayed from it. synchronous=OFF (SyncMode::kOff)
//                      saves the checkpoint fsyncs too, but SQLite documents
//                      that an OS crash or power loss may then corrupt the
//                      file, which replay cannot repair; it is offered for
//                      benchmarks and throwaway stores only.
//   cache_size=-65536  64 MiB of page cache: the kv b-tree's right edge and
//                      the hot pages of reads stay in memory.
//   mmap_size=1GiB     Reads map the file instead of copying pages through
//                      read(); writes still go through the WAL, so this
//                      changes nothing for crash safety.
//   temp_store=MEMORY  Sorting temporaries never touch the disk.
//   foreign_keys=OFF   No constraints across tables (invariant 5 is kept by
//                      the store, whose apply is deterministic).
//   checkpoints        Not SQLite's wal_autocheckpoint, which runs the
//                      checkpoint inline after the commit that passes the
//                      limit: under NORMAL each costs two fsyncs (WAL, then
//                      database file) and the writing of every page, and
//                      the apply thread waited for all of it (tens of ms
//                      at 10,000 pages, the worst of a 3-member cluster's
//                      put latency). Instead OnWalCommit, the WAL hook,
//                      asks the Checkpointer (checkpointer.h) for a PASSIVE
//                      checkpoint on its own thread and connection once the
//                      WAL holds kBackgroundCheckpointFrames pages (4,000,
//                      ~16 MiB), and every kWalFlushFrames pages (1 MiB)
//                      has it start the kernel's writeback of the -wal
//                      file, so the checkpoint's fsync is not one burst
//                      that stalls the raft WAL's fdatasyncs on the same
//                      disk. The background checkpoint never blocks a
//                      commit; when it has copied every frame and the next
//                      commit finds no reader behind, that commit starts
//                      the -wal file over. Should commits come so close
//                      together that the WAL never starts over, the hook
//                      checkpoints inline at kInlineCheckpointFrames
//                      (10,000, ~40 MiB), which then copies only what the
//                      background one has not. So the -wal file stays under
//                      ~40 MiB, and a crash replays at most that much on
//                      open. (Thresholds and their effect on put latency:
//                      docs/benchmarks.md, issue 8.)
//
// ** STATES
//
// The Backend itself has two states, outside and inside a transaction:
//
//      Begin()                          Commit() / Rollback()
//   IDLE --------------> IN_TRANSACTION ---------------------> IDLE
//
// The sticky ERROR state (after an I/O error or corruption) is kept by the
// Store, which rolls back and refuses every later call.

#include "kvstore/backend.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <utility>

#include "base/check.h"

namespace kvstore {
namespace {

constexpr int64_t kSchemaVersion = 1;

// ---- Schema.
constexpr const char* kCreateSchema = R"sql(
CREATE TABLE IF NOT EXISTS kv (
  rev_main   INTEGER NOT NULL,
  rev_sub    INTEGER NOT NULL,
  key        BLOB    NOT NULL,
  create_rev INTEGER NOT NULL,
  version    INTEGER NOT NULL,
  lease      INTEGER NOT NULL,
  value      BLOB    NOT NULL,
  PRIMARY KEY (rev_main, rev_sub)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lease (
  id            INTEGER PRIMARY KEY,
  ttl           INTEGER NOT NULL,
  remaining_ttl INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cluster (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql";

// ---- Statements, prepared once in Backend::Prepare().
constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kInsertKv =
    "INSERT INTO kv (rev_main, rev_sub, key, create_rev, version, lease, "
    "value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kSelectKv =
    "SELECT key, create_rev, version, lease, value FROM kv "
    "WHERE rev_main = ?1 AND rev_sub = ?2";
constexpr const char* kSelectKvNoValue =
    "SELECT key, create_rev, version, lease FROM kv "
    "WHERE rev_main = ?1 AND rev_sub = ?2";
constexpr const char* kDeleteKv =
    "DELETE FROM kv WHERE rev_main = ?1 AND rev_sub = ?2";
constexpr const char* kScanKv =
    "SELECT rev_main, rev_sub, key, create_rev, version, lease, value FROM kv "
    "WHERE rev_main >= ?1 AND rev_main <= ?2 ORDER BY rev_main, rev_sub";
constexpr const char* kScanKvNoValue =
    "SELECT rev_main, rev_sub, key, create_rev, version, lease FROM kv "
    "WHERE rev_main >= ?1 AND rev_main <= ?2 ORDER BY rev_main, rev_sub";
constexpr const char* kGetMeta = "SELECT value FROM meta WHERE name = ?1";
constexpr const char* kPutMeta =
    "INSERT INTO meta (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";
constexpr const char* kDeleteMeta = "DELETE FROM meta WHERE name = ?1";
// Names from ?1 (inclusive) to ?2 (exclusive): a prefix scan.
constexpr const char* kScanMeta =
    "SELECT name, value FROM meta WHERE name >= ?1 AND name < ?2 "
    "ORDER BY name";
constexpr const char* kGetCluster = "SELECT value FROM cluster WHERE name = ?1";
constexpr const char* kPutCluster =
    "INSERT INTO cluster (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";
constexpr const char* kPutLease =
    "INSERT OR REPLACE INTO lease (id, ttl, remaining_ttl) VALUES (?1, ?2, ?3)";
constexpr const char* kDeleteLease = "DELETE FROM lease WHERE id = ?1";
constexpr const char* kScanLeases =
    "SELECT id, ttl, remaining_ttl FROM lease ORDER BY id";
constexpr const char* kSizeBytes =
    "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size";
constexpr const char* kSizeInUseBytes =
    "SELECT (page_count - freelist_count) * page_size "
    "FROM pragma_page_count, pragma_freelist_count, pragma_page_size";

std::string_view ErrStr(int rc) {
  const char* s = sqlite3_errstr(rc);
  return s != nullptr ? s : "unknown error";
}

// The one place where SQLite result codes become Statuses.
base::Status SqliteStatus(int rc, sqlite3* db, const std::string& path,
                          std::string_view op) {
  std::string msg = "kvstore: " + path + ": " + std::string(op) + ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : std::string(ErrStr(rc));
  msg += " (code " + std::to_string(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return base::Status::DataLoss(std::move(msg));
    case SQLITE_FULL:
      return base::Status::ResourceExhausted(std::move(msg));
    default:
      return base::Status::Internal(std::move(msg));
  }
}

}  // namespace

// RAII holder of one prepared statement. Reset() after each use, so a
// statement never holds a read transaction open between calls.
class Backend::Statement {
 public:
  Statement() = default;
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  int Prepare(sqlite3* db, const char* sql) {
    return sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_,
                              nullptr);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, std::string_view v) {
    // SQLITE_STATIC: the caller's bytes outlive the Step() that reads them.
    sqlite3_bind_blob64(stmt_, i, v.empty() ? "" : v.data(), v.size(),
                        SQLITE_STATIC);
  }
  void BindText(int i, std::string_view v) {
    sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_STATIC,
                        SQLITE_UTF8);
  }
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    int n = sqlite3_column_bytes(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(static_cast<const char*>(p),
                                      static_cast<size_t>(n));
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

struct Backend::Statements {
  Statement begin, commit, rollback;
  Statement insert_kv, select_kv, select_kv_no_value, delete_kv;
  Statement scan_kv, scan_kv_no_value;
  Statement get_meta, put_meta, delete_meta, scan_meta;
  Statement get_cluster, put_cluster;
  Statement put_lease, delete_lease, scan_leases;
  Statement size_bytes, size_in_use_bytes;
};

namespace {

// Resets a statement when the scope ends, whatever the path out.
template <typename S>
class ResetOnExit {
 public:
  explicit ResetOnExit(S& s) : s_(s) {}
  ~ResetOnExit() { s_.Reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  S& s_;
};

const char* SyncPragma(SyncMode sync) {
  return sync == SyncMode::kOff ? "PRAGMA synchronous=OFF"
                                : "PRAGMA synchronous=NORMAL";
}

}  // namespace

Backend::Backend(std::string path, sqlite3* db, FaultHook fault_hook)
    : path_(std::move(path)),
      db_(db),
      fault_hook_(std::move(fault_hook)),
      stmts_(std::make_unique<Statements>()) {}

Backend::~Backend() {
  stmts_.reset();  // finalize every statement before closing
  // The checkpointer's connection closes first, so that this one, the last,
  // checkpoints the rest and removes the -wal file.
  checkpointer_.reset();
  sqlite3_close(db_);
}

int Backend::OnWalCommit(void* arg, sqlite3* db, const char* name, int frames) {
  auto* b = static_cast<Backend*>(arg);
  if (frames / kWalFlushFrames != b->wal_frames_ / kWalFlushFrames) {
    b->checkpointer_->Flush();
  }
  b->wal_frames_ = frames;
  if (frames >= kInlineCheckpointFrames) {
    // The backstop: the background checkpoints have not let the WAL start
    // over (commits came without a gap). This one runs while no commit can,
    // so it leaves nothing behind and the next commit restarts the WAL.
    // BUSY (the background one is running) or an error is retried at the
    // next commit; the frames stay in the WAL meanwhile.
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
  } else if (frames >= kBackgroundCheckpointFrames) {
    b->checkpointer_->Request();
  }
  return SQLITE_OK;
}

base::Status Backend::Error(int rc, std::string_view op) const {
  return SqliteStatus(rc, db_, path_, op);
}

base::Status Backend::Exec(const char* sql, std::string_view op) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? base::Status() : Error(rc, op);
}

base::Status Backend::Fault(std::string_view point) {
  if (!fault_hook_) return {};
  base::Status s = fault_hook_(point);
  if (s.ok()) return s;
  return base::Status::Internal("kvstore: " + path_ + ": " +
                                std::string(point) + ": " + s.message());
}

base::Result<std::unique_ptr<Backend>> Backend::Open(const std::string& path,
                                                     SyncMode sync,
                                                     FaultHook fault_hook) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  std::unique_ptr<Backend> b(new Backend(path, db, std::move(fault_hook)));
  if (rc != SQLITE_OK) return b->Error(rc, "open");
  sqlite3_extended_result_codes(db, 1);
  // PRAGMAs: see the essay at the top of this file.
  CAIRN_RETURN_IF_ERROR(b->Exec("PRAGMA journal_mode=WAL", "journal_mode"));
  CAIRN_RETURN_IF_ERROR(b->Exec(SyncPragma(sync), "synchronous"));
  CAIRN_RETURN_IF_ERROR(b->Exec("PRAGMA cache_size=-65536", "cache_size"));
  CAIRN_RETURN_IF_ERROR(b->Exec("PRAGMA mmap_size=1073741824", "mmap_size"));
  CAIRN_RETURN_IF_ERROR(b->Exec("PRAGMA temp_store=MEMORY", "temp_store"));
  CAIRN_RETURN_IF_ERROR(b->Exec("PRAGMA foreign_keys=OFF", "foreign_keys"));
  CAIRN_RETURN_IF_ERROR(b->Exec(kCreateSchema, "create schema"));
  // Checkpoints: see "PRAGMAs" (the hook replaces wal_autocheckpoint).
  CAIRN_ASSIGN_OR_RETURN(b->checkpointer_,
                         Checkpointer::Start(path, SyncPragma(sync)));
  sqlite3_wal_hook(db, &Backend::OnWalCommit, b.get());
  CAIRN_RETURN_IF_ERROR(b->Prepare());
  CAIRN_ASSIGN_OR_RETURN(int64_t version, b->GetMeta("schema_version", 0));
  if (version == 0) {
    CAIRN_RETURN_IF_ERROR(b->PutMeta("schema_version", kSchemaVersion));
  } else if (version != kSchemaVersion) {
    return base::Status::FailedPrecondition(
        "kvstore: " + path + ": unknown schema version " +
        std::to_string(version) + " (want " + std::to_string(kSchemaVersion) +
        ")");
  }
  return b;
}

base::Status Backend::Prepare() {
  struct {
    Statement* s;
    const char* sql;
  } all[] = {
      {&stmts_->begin, kBegin},
      {&stmts_->commit, kCommit},
      {&stmts_->rollback, kRollback},
      {&stmts_->insert_kv, kInsertKv},
      {&stmts_->select_kv, kSelectKv},
      {&stmts_->select_kv_no_value, kSelectKvNoValue},
      {&stmts_->delete_kv, kDeleteKv},
      {&stmts_->scan_kv, kScanKv},
      {&stmts_->scan_kv_no_value, kScanKvNoValue},
      {&stmts_->get_meta, kGetMeta},
      {&stmts_->put_meta, kPutMeta},
      {&stmts_->delete_meta, kDeleteMeta},
      {&stmts_->scan_meta, kScanMeta},
      {&stmts_->get_cluster, kGetCluster},
      {&stmts_->put_cluster, kPutCluster},
      {&stmts_->put_lease, kPutLease},
      {&stmts_->delete_lease, kDeleteLease},
      {&stmts_->scan_leases, kScanLeases},
      {&stmts_->size_bytes, kSizeBytes},
      {&stmts_->size_in_use_bytes, kSizeInUseBytes},
  };
  for (auto& [stmt, sql] : all) {
    int rc = stmt->Prepare(db_, sql);
    if (rc != SQLITE_OK) return Error(rc, std::string("prepare ") + sql);
  }
  return {};
}

base::Status Backend::Begin() {
  CAIRN_CHECK(!in_txn_, "kvstore: Begin inside a transaction");
  ResetOnExit r(stmts_->begin);
  int rc = stmts_->begin.Step();
  if (rc != SQLITE_DONE) return Error(rc, "begin");
  in_txn_ = true;
  return {};
}

base::Status Backend::Commit() {
  CAIRN_CHECK(in_txn_, "kvstore: Commit outside a transaction");
  CAIRN_RETURN_IF_ERROR(Fault("commit"));
  ResetOnExit r(stmts_->commit);
  int rc = stmts_->commit.Step();
  if (rc != SQLITE_DONE) return Error(rc, "commit");
  in_txn_ = false;
  return {};
}

base::Status Backend::Rollback() {
  if (!in_txn_) return {};
  in_txn_ = false;
  ResetOnExit r(stmts_->rollback);
  int rc = stmts_->rollback.Step();
  // SQLite may already have rolled back on its own after an I/O error.
  if (rc != SQLITE_DONE && sqlite3_get_autocommit(db_) == 0) {
    return Error(rc, "rollback");
  }
  return {};
}

base::Status Backend::InsertKv(Revision rev, std::string_view key,
                               int64_t create_revision, int64_t version,
                               int64_t lease, std::string_view value) {
  CAIRN_RETURN_IF_ERROR(Fault("insert_kv"));
  Statement& s = stmts_->insert_kv;
  ResetOnExit r(s);
  s.Bind(1, rev.main);
  s.Bind(2, rev.sub);
  s.Bind(3, key);
  s.Bind(4, create_revision);
  s.Bind(5, version);
  s.Bind(6, lease);
  s.Bind(7, value);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "insert_kv");
}

base::Result<std::optional<Row>> Backend::GetKv(Revision rev, bool with_value) {
  Statement& s = with_value ? stmts_->select_kv : stmts_->select_kv_no_value;
  ResetOnExit r(s);
  s.Bind(1, rev.main);
  s.Bind(2, rev.sub);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<Row>();
  if (rc != SQLITE_ROW) return Error(rc, "select_kv");
  Row row;
  row.rev = rev;
  row.key = s.Blob(0);
  row.create_revision = s.Int(1);
  row.version = s.Int(2);
  row.lease = s.Int(3);
  if (with_value) row.value = s.Blob(4);
  return std::optional<Row>(std::move(row));
}

base::Status Backend::DeleteKv(Revision rev) {
  CAIRN_RETURN_IF_ERROR(Fault("delete_kv"));
  Statement& s = stmts_->delete_kv;
  ResetOnExit r(s);
  s.Bind(1, rev.main);
  s.Bind(2, rev.sub);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "delete_kv");
}

base::Status Backend::ScanKv(int64_t from_main, int64_t to_main,
                             bool with_value,
                             const std::function<bool(const Row&)>& fn) {
  Statement& s = with_value ? stmts_->scan_kv : stmts_->scan_kv_no_value;
  ResetOnExit r(s);
  s.Bind(1, from_main);
  s.Bind(2, to_main);
  Row row;
  for (;;) {
    int rc = s.Step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return Error(rc, "scan_kv");
    row.rev = Revision{s.Int(0), s.Int(1)};
    row.key = s.Blob(2);
    row.create_revision = s.Int(3);
    row.version = s.Int(4);
    row.lease = s.Int(5);
    if (with_value) row.value = s.Blob(6);
    if (!fn(row)) return {};
  }
}

base::Result<int64_t> Backend::GetMeta(std::string_view name,
                                       int64_t fallback) {
  Statement& s = stmts_->get_meta;
  ResetOnExit r(s);
  s.BindText(1, name);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return fallback;
  if (rc != SQLITE_ROW) return Error(rc, "get_meta");
  return s.Int(0);
}

base::Status Backend::PutMeta(std::string_view name, int64_t value) {
  CAIRN_RETURN_IF_ERROR(Fault("put_meta"));
  Statement& s = stmts_->put_meta;
  ResetOnExit r(s);
  s.BindText(1, name);
  s.Bind(2, value);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "put_meta");
}

base::Status Backend::DeleteMeta(std::string_view name) {
  CAIRN_RETURN_IF_ERROR(Fault("delete_meta"));
  Statement& s = stmts_->delete_meta;
  ResetOnExit r(s);
  s.BindText(1, name);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "delete_meta");
}

base::Status Backend::ScanMeta(
    std::string_view prefix,
    const std::function<void(std::string_view, int64_t)>& fn) {
  CAIRN_CHECK(!prefix.empty() && prefix.back() != '\xff');
  std::string end(prefix);
  end.back() = static_cast<char>(end.back() + 1);
  Statement& s = stmts_->scan_meta;
  ResetOnExit r(s);
  s.BindText(1, prefix);
  s.BindText(2, end);
  for (;;) {
    int rc = s.Step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return Error(rc, "scan_meta");
    std::string name = s.Blob(0);
    fn(name, s.Int(1));
  }
}

base::Result<std::optional<std::string>> Backend::GetCluster(
    std::string_view name) {
  Statement& s = stmts_->get_cluster;
  ResetOnExit r(s);
  s.BindText(1, name);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return Error(rc, "get_cluster");
  return std::optional<std::string>(s.Blob(0));
}

base::Status Backend::PutCluster(std::string_view name,
                                 std::string_view value) {
  CAIRN_RETURN_IF_ERROR(Fault("put_cluster"));
  Statement& s = stmts_->put_cluster;
  ResetOnExit r(s);
  s.BindText(1, name);
  s.Bind(2, value);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "put_cluster");
}

base::Status Backend::PutLease(const LeaseRow& lease) {
  CAIRN_RETURN_IF_ERROR(Fault("put_lease"));
  Statement& s = stmts_->put_lease;
  ResetOnExit r(s);
  s.Bind(1, lease.id);
  s.Bind(2, lease.ttl);
  s.Bind(3, lease.remaining_ttl);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "put_lease");
}

base::Status Backend::DeleteLease(int64_t id) {
  CAIRN_RETURN_IF_ERROR(Fault("delete_lease"));
  Statement& s = stmts_->delete_lease;
  ResetOnExit r(s);
  s.Bind(1, id);
  int rc = s.Step();
  return rc == SQLITE_DONE ? base::Status() : Error(rc, "delete_lease");
}

base::Status Backend::ScanLeases(
    const std::function<void(const LeaseRow&)>& fn) {
  Statement& s = stmts_->scan_leases;
  ResetOnExit r(s);
  for (;;) {
    int rc = s.Step();
    if (rc == SQLITE_DONE) return {};
    if (rc != SQLITE_ROW) return Error(rc, "scan_leases");
    fn(LeaseRow{s.Int(0), s.Int(1), s.Int(2)});
  }
}

base::Result<int64_t> Backend::SizeBytes() {
  Statement& s = stmts_->size_bytes;
  ResetOnExit r(s);
  int rc = s.Step();
  if (rc != SQLITE_ROW) return Error(rc, "size_bytes");
  return s.Int(0);
}

base::Result<int64_t> Backend::SizeInUseBytes() {
  Statement& s = stmts_->size_in_use_bytes;
  ResetOnExit r(s);
  int rc = s.Step();
  if (rc != SQLITE_ROW) return Error(rc, "size_in_use_bytes");
  return s.Int(0);
}

base::Status Backend::Vacuum() {
  CAIRN_CHECK(!in_txn_, "kvstore: Vacuum inside a transaction");
  CAIRN_RETURN_IF_ERROR(Fault("vacuum"));
  auto hold = checkpointer_->Hold();
  CAIRN_RETURN_IF_ERROR(Exec("VACUUM", "vacuum"));
  // VACUUM wrote the new pages to the -wal file; the checkpoint moves them
  // into the database file and truncates both.
  return Exec("PRAGMA wal_checkpoint(TRUNCATE)", "vacuum checkpoint");
}

namespace {

// Copies every page of `src`'s main database into `dst`'s, in one step (one
// read transaction on src, so the copy is consistent).
int CopyDatabase(sqlite3* dst, sqlite3* src) {
  sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
  if (b == nullptr) return sqlite3_errcode(dst);
  int rc = sqlite3_backup_step(b, -1);
  int rc2 = sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return rc;
  return rc2;
}

// Owns a connection opened for Backup() or RestoreFrom().
struct Connection {
  sqlite3* db = nullptr;
  ~Connection() { sqlite3_close(db); }
};

}  // namespace

base::Status Backend::Backup(const std::string& dest_path) {
  CAIRN_ASSIGN_OR_RETURN(std::unique_ptr<BackupSource> src, BeginBackup());
  return src->CopyTo(dest_path);
}

base::Result<std::unique_ptr<Backend::BackupSource>> Backend::BeginBackup() {
  Connection src;
  int rc = sqlite3_open_v2(path_.c_str(), &src.db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  // BEGIN is deferred: the read of the schema starts the read transaction,
  // which then holds that state until the source is destroyed.
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(src.db, "BEGIN; SELECT count(*) FROM sqlite_schema",
                      nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) return SqliteStatus(rc, src.db, path_, "backup open");
  std::unique_ptr<BackupSource> b(new BackupSource(src.db));
  src.db = nullptr;
  return b;
}

Backend::BackupSource::~BackupSource() { sqlite3_close(db_); }

base::Status Backend::BackupSource::CopyTo(const std::string& dest_path) {
  struct stat st;
  if (stat(dest_path.c_str(), &st) == 0) {
    return base::Status::AlreadyExists("kvstore: snapshot " + dest_path +
                                       " already exists");
  }
  Connection dst;
  int rc = sqlite3_open_v2(
      dest_path.c_str(), &dst.db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
      nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, dst.db, dest_path, "backup create");
  }
  // The copy runs inside the source's open read transaction.
  rc = CopyDatabase(dst.db, db_);
  if (rc != SQLITE_OK) return SqliteStatus(rc, dst.db, dest_path, "backup");
  // A snapshot file stands alone: no -wal file beside it.
  rc = sqlite3_exec(dst.db, "PRAGMA journal_mode=DELETE", nullptr, nullptr,
                    nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, dst.db, dest_path, "backup journal_mode");
  }
  return {};
}

base::Status Backend::RestoreFrom(const std::string& src_path) {
  CAIRN_CHECK(!in_txn_, "kvstore: RestoreFrom inside a transaction");
  Connection src;
  int rc = sqlite3_open_v2(src_path.c_str(), &src.db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, src.db, src_path, "restore open");
  }
  // Check it is one of ours before touching the live database.
  sqlite3_stmt* q = nullptr;
  rc = sqlite3_prepare_v2(
      src.db, "SELECT value FROM meta WHERE name = 'schema_version'", -1, &q,
      nullptr);
  int64_t version = 0;
  if (rc == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
    version = sqlite3_column_int64(q, 0);
  }
  sqlite3_finalize(q);
  if (version != kSchemaVersion) {
    return base::Status::InvalidArgument("kvstore: " + src_path +
                                         ": not a kvstore snapshot");
  }
  CAIRN_RETURN_IF_ERROR(Fault("restore"));
  auto hold = checkpointer_->Hold();
  rc = CopyDatabase(db_, src.db);
  return rc == SQLITE_OK ? base::Status() : Error(rc, "restore");
}

}  // namespace kvstore

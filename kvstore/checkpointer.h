#pragma once

// Checkpointer: moves the pages of a database's SQLite -wal file into the
// database file on a thread of its own, so that the thread committing
// transactions (the server's apply thread) does not stop for it.
//
// Why: a checkpoint writes every page the WAL holds into the database file
// and fsyncs both. Run inline after a commit (SQLite's autocheckpoint), a
// 10,000-page checkpoint held the apply thread for tens of milliseconds, and
// each one showed as a spike in the cluster's put latency (docs/
// benchmarks.md, issue 8). Here the committing connection's WAL hook asks
// for a PASSIVE checkpoint once the WAL holds
// Backend::kBackgroundCheckpointFrames pages; this thread runs it through a
// second connection while commits go on. A PASSIVE
// checkpoint takes no lock a writer needs, so it never blocks one, and it
// never loses or reorders anything: SQLite copies only frames committed
// before it starts.
//
// A checkpoint that ran to the end of the WAL lets the next commit start
// the -wal file over from its beginning; the Backend keeps SQLite's own
// inline checkpoint as a backstop for a WAL that outgrows the background
// one (see backend.cc, "PRAGMAs").
//
// Thread safety: every method may be called from any thread.

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "base/status.h"

namespace kvstore {

class Checkpointer {
 public:
  // Opens a second connection to the database at `path` (which must exist
  // and be in WAL mode) with the given synchronous PRAGMA ("PRAGMA
  // synchronous=NORMAL" or "...=OFF": the checkpointing connection's
  // setting decides the checkpoint's fsyncs) and starts the thread.
  static base::Result<std::unique_ptr<Checkpointer>> Start(
      const std::string& path, const char* sync_pragma);
  // Stops the thread (after a checkpoint in progress) and closes the
  // connection.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Asks for a checkpoint; requests made while one is pending are merged.
  void Request();
  // Asks the kernel to start writing the -wal file's dirty pages to disk
  // (sync_file_range SYNC_FILE_RANGE_WRITE, which does not wait for them),
  // so that the checkpoint's fsync of the WAL finds little left to write:
  // the WAL's megabytes reach the disk a little at a time instead of in one
  // burst that queues every other member's and the raft WAL's fdatasyncs
  // behind it. Merged like Request(); a pending checkpoint supersedes it.
  void Flush();

  // While the returned lock is held no background checkpoint runs (one in
  // progress finishes first). Vacuum and restore take it, so that their own
  // checkpoint is not refused as busy.
  std::unique_lock<std::mutex> Hold();

  // Blocks until no checkpoint or flush is pending or running. For tests.
  void WaitIdle();

  // Checkpoints run to completion, and the error of the last one that
  // failed (OK if none did).
  uint64_t checkpoints() const;
  base::Status last_error() const;

 private:
  Checkpointer(std::string path, sqlite3* db);
  void Run();
  void FlushWal();

  const std::string path_;
  sqlite3* const db_;
  std::mutex run_mu_;  // held while a checkpoint runs (see Hold)
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;        // guarded by mu_
  bool flush_requested_ = false;  // guarded by mu_
  bool running_ = false;          // guarded by mu_
  bool stop_ = false;             // guarded by mu_
  uint64_t checkpoints_ = 0;      // guarded by mu_
  base::Status last_error_;       // guarded by mu_
  std::thread thread_;
};

}  // namespace kvstore

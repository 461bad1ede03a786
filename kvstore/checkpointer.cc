#include "kvstore/checkpointer.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "base/log.h"

namespace kvstore {

base::Result<std::unique_ptr<Checkpointer>> Checkpointer::Start(
    const std::string& path, const char* sync_pragma) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_exec(db, sync_pragma, nullptr, nullptr, nullptr);
  }
  if (rc == SQLITE_OK) {
    // Reads the header: a file that is not a database fails here.
    rc = sqlite3_exec(db, "SELECT 1 FROM sqlite_schema LIMIT 1", nullptr,
                      nullptr, nullptr);
  }
  if (rc != SQLITE_OK) {
    std::string msg = "kvstore: " + path +
                      ": checkpointer open: " + sqlite3_errmsg(db) + " (code " +
                      std::to_string(rc) + ")";
    sqlite3_close(db);
    return base::Status::Internal(std::move(msg));
  }
  // The connection never checkpoints on its own (it commits nothing anyway).
  sqlite3_wal_autocheckpoint(db, 0);
  std::unique_ptr<Checkpointer> c(new Checkpointer(path, db));
  c->thread_ = std::thread([p = c.get()] { p->Run(); });
  return c;
}

Checkpointer::Checkpointer(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  sqlite3_close(db_);
}

void Checkpointer::Request() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (requested_) return;
    requested_ = true;
  }
  cv_.notify_all();
}

void Checkpointer::Flush() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (flush_requested_) return;
    flush_requested_ = true;
  }
  cv_.notify_all();
}

std::unique_lock<std::mutex> Checkpointer::Hold() {
  return std::unique_lock<std::mutex>(run_mu_);
}

void Checkpointer::WaitIdle() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] {
    return stop_ || (!requested_ && !flush_requested_ && !running_);
  });
}

uint64_t Checkpointer::checkpoints() const {
  std::lock_guard<std::mutex> l(mu_);
  return checkpoints_;
}

base::Status Checkpointer::last_error() const {
  std::lock_guard<std::mutex> l(mu_);
  return last_error_;
}

void Checkpointer::FlushWal() {
  // By name: SQLite keeps the -wal file while a connection is open, and a
  // file it has just truncated or removed costs nothing to open. A failure
  // is harmless (the checkpoint's fsync writes what this did not).
  int fd = open((path_ + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
  close(fd);
}

void Checkpointer::Run() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    cv_.wait(l, [this] { return stop_ || requested_ || flush_requested_; });
    if (stop_) return;
    // A checkpoint syncs the WAL anyway: it supersedes a flush.
    const bool checkpoint = requested_;
    requested_ = flush_requested_ = false;
    running_ = true;
    l.unlock();
    int rc = SQLITE_OK;
    if (checkpoint) {
      std::lock_guard<std::mutex> run(run_mu_);
      rc = sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                     nullptr, nullptr);
    } else {
      FlushWal();
    }
    l.lock();
    running_ = false;
    if (checkpoint && rc == SQLITE_OK) {
      ++checkpoints_;
    } else if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      // Nothing is lost: the frames stay in the WAL, and the next
      // checkpoint (here or the committing connection's) retries them.
      last_error_ = base::Status::Internal(
          "kvstore: " + path_ + ": background checkpoint: " +
          sqlite3_errmsg(db_) + " (code " + std::to_string(rc) + ")");
      CAIRN_LOG(kWarn, "kvstore", "%s", last_error_.message().c_str());
    }
    cv_.notify_all();
  }
}

}  // namespace kvstore
